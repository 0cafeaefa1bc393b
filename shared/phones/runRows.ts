/**
 * The rows of one chunk, worked in four steps: read what Graph knows (users, their phone methods, the SMS policy and
 * group memberships) in `$batch` calls → plan every row (pure) and skip privileged users → mark the rows about to change
 * as `applying` → write (group adds, then numbers, then SMS sign-in) and turn the write results into outcomes. Each step
 * is exported so it can be tested on its own; `processChunk` owns leases, deferral and recording.
 */

import {
  type MethodsLookup,
  type PlanOptions,
  planRow,
  reconcileRetry,
  type RowPlan,
  type SmsEligibility,
  smsEligibility,
  type UserLookup,
} from './plan';
import {
  type ChunkMessage,
  isTransient,
  type PhoneDirectory,
  type PhoneMethodsApi,
  type PhoneSettings,
  type PhoneWrite,
  type PrivilegedUserReader,
  type PrivilegeFact,
  type RowPatch,
  type RowStore,
  type StoredRow,
  type WriteResult,
} from './ports';
import type { RowOutcome, ValidRow } from './types';

/** What the steps need: the Graph ports, the row store (for `applying` marks) and the settings. */
export interface RowsDeps {
  readonly directory: PhoneDirectory;
  readonly methods: PhoneMethodsApi;
  readonly privileged: PrivilegedUserReader;
  readonly rows: Pick<RowStore, 'patchRows'>;
  readonly settings: PhoneSettings;
}

/** Each row's outcome, and the lines that met throttling or an outage (worth retrying later, not a verdict). */
export interface RowsRun {
  readonly outcomes: Map<number, RowOutcome>;
  readonly transient: Set<number>;
}

/** What Graph said before planning: lookups keyed by the row's user reference, the rest by object id. */
export interface ChunkFacts {
  readonly users: Map<string, UserLookup>;
  readonly methods: Map<string, MethodsLookup>;
  readonly eligibility: Map<string, SmsEligibility>;
}

export interface PlannedRow {
  readonly row: StoredRow;
  readonly userId?: string;
  readonly plan: RowPlan;
}

/** The first write that failed for a row, and whether it failed for a reason worth retrying later. */
export interface WriteFailure {
  readonly reason: string;
  readonly transient: boolean;
}

/** One write's answer for one row, with what was being done (for the row's reason). */
interface WriteAnswer {
  readonly line: number;
  readonly what: string;
  readonly result: WriteResult;
}

export async function runRows(
  message: ChunkMessage,
  todo: readonly StoredRow[],
  dryRun: boolean,
  deps: RowsDeps,
): Promise<RowsRun> {
  const facts = await readChunkFacts(todo, deps);
  const planned = planChunk(todo, facts, planOptions(deps.settings, dryRun));
  const plans = skipPrivileged(planned.plans, facts.users, await readPrivileged(planned.plans, deps), deps.settings);
  const acting = plans.filter(changes);
  if (dryRun || acting.length === 0) return { outcomes: outcomesOf(plans, new Map()), transient: planned.transient };
  await markApplying(message, acting, deps);
  const failures = await applyPlans(acting, deps);
  for (const [line, f] of failures) if (f.transient) planned.transient.add(line);
  return { outcomes: outcomesOf(plans, failures), transient: planned.transient };
}

export const planOptions = (settings: PhoneSettings, dryRun: boolean): PlanOptions => ({
  overwrite: settings.overwrite,
  enableSmsWithoutLicence: settings.enableSmsWithoutLicence,
  dryRun,
});

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];

/** The enabled user a row names, if Graph found one. */
function enabledUser(users: Map<string, UserLookup>, row: StoredRow) {
  const u = users.get(row.user);
  return u?.kind === 'found' && u.user.accountEnabled ? u.user : undefined;
}

/** Step 1: users, then phone methods of the enabled ones, then SMS eligibility of members asking for SMS sign-in. */
export async function readChunkFacts(
  todo: readonly StoredRow[],
  deps: Pick<RowsDeps, 'directory' | 'methods' | 'settings'>,
): Promise<ChunkFacts> {
  const users = await deps.directory.resolveUsers(unique(todo.map((r) => r.user)));
  const found = todo.map((r) => ({ row: r, user: enabledUser(users, r) }));
  const userIds = unique(found.flatMap((f) => (f.user ? [f.user.id] : [])));
  const methods = userIds.length > 0 ? await deps.methods.listPhoneMethods(userIds) : new Map<string, MethodsLookup>();
  // The SMS policy and memberships matter only for rows that ask for SMS sign-in.
  const smsUserIds = unique(
    found.flatMap((f) => (f.row.enableSmsSignIn && f.user?.userType === 'Member' && f.user.id !== '' ? [f.user.id] : [])),
  );
  const eligibility = await readSmsEligibility(smsUserIds, deps);
  return { users, methods, eligibility };
}

/** The SMS policy, and memberships of the groups it names only when it is enabled and names any. */
export async function readSmsEligibility(
  userIds: readonly string[],
  deps: Pick<RowsDeps, 'directory' | 'methods' | 'settings'>,
): Promise<Map<string, SmsEligibility>> {
  const eligibility = new Map<string, SmsEligibility>();
  if (userIds.length === 0) return eligibility;
  const policy = await deps.methods.readSmsPolicy();
  const groups = unique([...policy.signInTargets.filter((t) => t !== 'all_users'), ...policy.excludeGroupIds]);
  const memberships =
    groups.length > 0 && policy.enabled ? await deps.directory.memberOf(userIds, groups) : new Map<string, ReadonlySet<string>>();
  for (const id of userIds)
    eligibility.set(id, smsEligibility(policy, memberships.get(id) ?? new Set(), deps.settings.smsSignInGroupId, id));
  return eligibility;
}

const asValid = (r: StoredRow): ValidRow => ({
  line: r.line,
  user: r.user,
  phoneNumber: r.phoneNumber ?? '',
  phoneType: r.phoneType ?? 'mobile',
  enableSmsSignIn: r.enableSmsSignIn === true,
});

/**
 * Step 2 (pure): every row's plan from the facts. A row left `applying` by a worker that died is reconciled with what
 * Graph shows now. Rows whose reads met throttling or an outage are reported as transient.
 */
export function planChunk(
  todo: readonly StoredRow[],
  facts: ChunkFacts,
  options: PlanOptions,
): { plans: PlannedRow[]; transient: Set<number> } {
  const transient = new Set<number>();
  const plans = todo.map((r): PlannedRow => {
    const lookup: UserLookup = facts.users.get(r.user) ?? { kind: 'error', message: 'no answer from Graph' };
    const id = lookup.kind === 'found' ? lookup.user.id : undefined;
    const methodsOf = id ? facts.methods.get(id) : undefined;
    if ((lookup.kind === 'error' && lookup.transient) || (methodsOf && !methodsOf.ok && methodsOf.transient))
      transient.add(r.line);
    const fresh = planRow(asValid(r), lookup, methodsOf, id ? facts.eligibility.get(id) : undefined, options);
    const plan = r.state === 'applying' ? reconcileRetry(r.planned, fresh) : fresh;
    return { row: r, ...(id && { userId: id }), plan };
  });
  return { plans, transient };
}

/** A plan that writes anything to a known user. */
export const changes = (p: PlannedRow): boolean =>
  p.userId !== undefined && (p.plan.phoneWrite !== undefined || p.plan.enableSms || p.plan.addToGroup !== undefined);

/** Privilege facts for the users whose rows would change something (no Graph call when none would). */
export async function readPrivileged(
  plans: readonly PlannedRow[],
  deps: Pick<RowsDeps, 'privileged'>,
): Promise<Map<string, readonly PrivilegeFact[]>> {
  const changing = plans.filter(changes);
  if (changing.length === 0) return new Map();
  return deps.privileged.privilegedAmong(unique(changing.map((p) => p.userId ?? '')));
}

/**
 * A phone number is a sign-in factor: whoever can set an admin's number can take over the admin. So rows that would
 * change a privileged user (directory role holder, role-assignable group member) are `skipped` unless the user is in
 * PHONE_PRIVILEGED_ALLOWLIST (object id or UPN). Dry runs report the same.
 */
export function skipPrivileged(
  plans: readonly PlannedRow[],
  users: Map<string, UserLookup>,
  privileged: Map<string, readonly PrivilegeFact[]>,
  settings: Pick<PhoneSettings, 'privilegedAllowList'>,
): PlannedRow[] {
  const allowed = new Set(settings.privilegedAllowList);
  return plans.map((p) => {
    const facts = changes(p) ? privileged.get(p.userId ?? '') : undefined;
    const lookup = users.get(p.row.user);
    const upn = lookup?.kind === 'found' ? lookup.user.userPrincipalName.toLowerCase() : '';
    if (!facts || allowed.has((p.userId ?? '').toLowerCase()) || allowed.has(upn)) return p;
    const why = facts.map((f) =>
      f.kind === 'directoryRole' ? `holds ${f.roleName}` : `member of role-assignable group ${f.groupName}`,
    );
    const reason = `privilegedUser: ${why.join('; ')}; add the user to PHONE_PRIVILEGED_ALLOWLIST to change their methods`;
    return { ...p, plan: { outcome: { status: 'skipped', action: 'none', reason }, enableSms: false } };
  });
}

/** Step 3: written before any change, so a worker that dies mid-chunk leaves a trace the retry can reconcile. */
export async function markApplying(message: ChunkMessage, acting: readonly PlannedRow[], deps: Pick<RowsDeps, 'rows'>) {
  await deps.rows.patchRows(
    message.importId,
    message.chunk,
    acting.map((p): RowPatch => ({ line: p.row.line, state: 'applying', planned: p.plan.outcome.status })),
  );
}

/** Step 4: the writes in the order Graph needs them; a row stops at its first failed write. */
export async function applyPlans(
  acting: readonly PlannedRow[],
  deps: Pick<RowsDeps, 'directory' | 'methods'>,
): Promise<Map<number, WriteFailure>> {
  const failures = new Map<number, WriteFailure>();
  const pending = (p: PlannedRow) => !failures.has(p.row.line);
  // Group adds first: SMS sign-in is only allowed once the user is in a group the policy targets.
  noteFailures(failures, await addToGroups(acting, deps.directory));
  noteFailures(failures, await writeNumbers(acting.filter(pending), deps.methods));
  noteFailures(failures, await enableSms(acting.filter(pending), deps.methods));
  return failures;
}

function noteFailures(failures: Map<number, WriteFailure>, answers: readonly WriteAnswer[]): void {
  for (const { line, what, result } of answers) {
    if (result.ok || failures.has(line)) continue;
    failures.set(line, { reason: `${what}: ${result.code}: ${result.message}`, transient: isTransient(result.status) });
  }
}

const missing: WriteResult = { ok: false, status: 0, code: 'noResult', message: 'Graph returned no result for this item' };

/** One `addMembers` call per SMS sign-in group named by the plans. */
export async function addToGroups(acting: readonly PlannedRow[], directory: Pick<PhoneDirectory, 'addMembers'>) {
  const byGroup = new Map<string, PlannedRow[]>();
  for (const p of acting) if (p.plan.addToGroup) byGroup.set(p.plan.addToGroup, [...(byGroup.get(p.plan.addToGroup) ?? []), p]);
  const answers: WriteAnswer[] = [];
  for (const [groupId, list] of byGroup) {
    const results = await directory.addMembers(groupId, unique(list.map((p) => p.userId ?? '')));
    for (const p of list)
      answers.push({
        line: p.row.line,
        what: 'adding to the SMS sign-in group failed',
        result: results.get(p.userId ?? '') ?? missing,
      });
  }
  return answers;
}

/** The phone numbers, created or replaced, in one call (the adapter batches them). */
export async function writeNumbers(acting: readonly PlannedRow[], methods: Pick<PhoneMethodsApi, 'writePhoneMethods'>) {
  const writes = acting.filter((p) => p.plan.phoneWrite);
  const results = await methods.writePhoneMethods(
    writes.map((p): PhoneWrite => ({
      userId: p.userId ?? '',
      kind: p.plan.phoneWrite?.kind ?? 'create',
      methodId: p.plan.phoneWrite?.methodId ?? '',
      phoneType: p.row.phoneType ?? 'mobile',
      phoneNumber: p.row.phoneNumber ?? '',
    })),
  );
  return writes.map((p, i): WriteAnswer => ({
    line: p.row.line,
    what: `${p.plan.phoneWrite?.kind === 'update' ? 'updating' : 'adding'} the ${p.row.phoneType} number failed`,
    result: results[i] ?? missing,
  }));
}

/** SMS sign-in, for rows whose number is in place (no call when none asks for it). */
export async function enableSms(acting: readonly PlannedRow[], methods: Pick<PhoneMethodsApi, 'enableSmsSignIn'>) {
  const enables = acting.filter((p) => p.plan.enableSms);
  if (enables.length === 0) return [];
  const results = await methods.enableSmsSignIn(unique(enables.map((p) => p.userId ?? '')));
  return enables.map((p): WriteAnswer => ({
    line: p.row.line,
    what: 'SMS sign-in was not enabled',
    result: results.get(p.userId ?? '') ?? missing,
  }));
}

/** Each row's outcome: its plan's, or failed with the first failed write's reason ahead of the plan's. */
export function outcomesOf(plans: readonly PlannedRow[], failures: Map<number, WriteFailure>): Map<number, RowOutcome> {
  return new Map(
    plans.map((p) => {
      const failure = failures.get(p.row.line);
      if (!failure) return [p.row.line, p.plan.outcome];
      const reason = [failure.reason, p.plan.outcome.reason].filter((s) => s !== '').join('; ');
      return [p.row.line, { status: 'failed', action: p.plan.outcome.action, reason }];
    }),
  );
}
