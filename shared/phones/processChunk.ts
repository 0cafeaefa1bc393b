import { type FinalizeDeps, finalizeIfDone } from './finalize';
import {
  type MethodsLookup,
  planRow,
  reconcileRetry,
  type RowPlan,
  type SmsEligibility,
  smsEligibility,
  type SmsPolicyFacts,
  type UserLookup,
} from './plan';
import {
  type ChunkMessage,
  type ChunkQueue,
  isTransient,
  type PhoneDirectory,
  type PhoneMethodsApi,
  type PhoneWrite,
  type PrivilegedUserReader,
  type RowPatch,
  type StoredRow,
  type WriteResult,
} from './ports';
import { emptyCounts, type RowOutcome, type ValidRow } from './types';

/**
 * Use case 2 of 3: the queue worker for one chunk of rows. Reads what Graph knows (users, their phone methods, the
 * SMS policy and group memberships) in `$batch` calls, plans every row, marks the rows it is about to change as
 * `applying`, writes in `$batch` calls, and records each row's outcome. Safe to run again at any point: rows already
 * done are skipped and a retried row is re-planned from Graph's current state, so nothing is applied twice.
 */
export interface ProcessChunkDeps extends FinalizeDeps {
  readonly directory: PhoneDirectory;
  readonly methods: PhoneMethodsApi;
  /** Directory role holders and role-assignable group members are never changed unless allow-listed. */
  readonly privileged: PrivilegedUserReader;
  /** Identity of this delivery: a redelivered message keeps its id, so it may take over its own lease. */
  readonly owner: string;
  /**
   * The queue will not deliver this message again (its last attempt). Until then, rows that met throttling or an
   * outage beyond the gateway's retries stay pending and the chunk is retried; on the last attempt they are recorded
   * as failed with the reason, so the import always completes.
   */
  readonly finalAttempt?: boolean;
  readonly queue: ChunkQueue;
  /** Delay before a deferred retry of a throttled chunk (default 30 s x attempt, at most 10 min). */
  readonly retryDelaySeconds?: (attempt: number) => number;
  readonly leaseMs?: number;
}

export type ProcessChunkResult = 'processed' | 'deferred' | 'alreadyDone' | 'busy' | 'stale';

/** Deferred retries of a chunk that Graph kept throttling, before its rows are recorded as failed. */
export const MAX_CHUNK_ATTEMPTS = 8;
export const DEFAULT_CHUNK_LEASE_MS = 10 * 60_000;

export async function processChunk(message: ChunkMessage, deps: ProcessChunkDeps): Promise<ProcessChunkResult> {
  const record = await deps.records.get(message.importId);
  if (!record || record.status !== 'running') return 'stale';
  const claim = await deps.chunks.claimChunk(message.importId, message.chunk, deps.owner, deps.leaseMs ?? DEFAULT_CHUNK_LEASE_MS);
  if (claim === 'done') {
    await finalizeIfDone(message.importId, deps);
    return 'alreadyDone';
  }
  if (claim === 'busy') return 'busy';
  const stopRenewing = keepChunkLease(message, deps);
  try {
    return await workChunk(message, record.dryRun, deps);
  } finally {
    stopRenewing();
  }
}

/** Renews the chunk's lease while it works, so a long chunk (throttled, slow Graph) is never taken by a second worker. */
function keepChunkLease(message: ChunkMessage, deps: ProcessChunkDeps): () => void {
  const leaseMs = deps.leaseMs ?? DEFAULT_CHUNK_LEASE_MS;
  const timer = setInterval(
    () => {
      deps.chunks.renewChunk(message.importId, message.chunk, deps.owner, leaseMs).then(
        (held) => {
          if (!held) deps.log.warn({ importId: message.importId, chunk: message.chunk }, 'phone import: chunk lease lost');
        },
        () => undefined,
      );
    },
    Math.max(250, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
}

const canDefer = (message: ChunkMessage, deps: ProcessChunkDeps): boolean =>
  deps.finalAttempt !== true && (message.attempt ?? 1) < MAX_CHUNK_ATTEMPTS;

/** A new, delayed message rather than a failed delivery: throttling must not use up the queue's dequeue count. */
async function defer(message: ChunkMessage, deps: ProcessChunkDeps, rows: number, why: string): Promise<'deferred'> {
  const attempt = message.attempt ?? 1;
  const delay = deps.retryDelaySeconds?.(attempt) ?? Math.min(600, 30 * attempt);
  await deps.chunks.releaseChunk(message.importId, message.chunk, deps.owner);
  await deps.queue.enqueue({ importId: message.importId, chunk: message.chunk, attempt: attempt + 1 }, delay);
  deps.log.warn(
    { importId: message.importId, chunk: message.chunk, rows, attempt, delaySeconds: delay, reason: why },
    'phone import: chunk deferred',
  );
  return 'deferred';
}

async function workChunk(message: ChunkMessage, dryRun: boolean, deps: ProcessChunkDeps): Promise<ProcessChunkResult> {
  const stored = await deps.rows.chunkRows(message.importId, message.chunk);
  const todo = stored.filter((r) => r.state !== 'done' && r.phoneNumber && r.phoneType);
  let outcomes = new Map<number, RowOutcome>();
  if (todo.length > 0) {
    let ran: Awaited<ReturnType<typeof runRows>>;
    try {
      ran = await runRows(message, todo, dryRun, deps);
    } catch (err) {
      // Failed outside Graph's per-item answers (a read that threw, a storage error): the whole chunk is retried
      // later like throttled rows; on the last attempt its rows are recorded failed with the reason.
      const why = err instanceof Error ? err.message : String(err);
      if (canDefer(message, deps)) return defer(message, deps, todo.length, why);
      ran = { outcomes: failedOutcomes(todo, why), transient: new Set<number>() };
    }
    outcomes = ran.outcomes;
    const transient = ran.transient;
    const retryLater = transient.size > 0 && canDefer(message, deps);
    const settled = todo.filter((r) => !(retryLater && transient.has(r.line)));
    await deps.rows.patchRows(
      message.importId,
      message.chunk,
      settled.map((r) => {
        const o = outcomes.get(r.line) ?? { status: 'failed' as const, action: 'none', reason: 'the row was not processed' };
        const reason = transient.has(r.line)
          ? `${o.reason}; Graph kept refusing after every retry: drop the file again under a new name to retry this row`
          : o.reason;
        // The full number is needed only until the row is settled; the results keep the masked one.
        return { line: r.line, state: 'done' as const, status: o.status, action: o.action, reason, phoneNumber: '' };
      }),
    );
    if (retryLater) return defer(message, deps, transient.size, 'Graph throttled or failed beyond retries');
  }
  const counts = emptyCounts();
  for (const r of stored) counts[outcomes.get(r.line)?.status ?? r.status ?? 'failed']++;
  await deps.chunks.completeChunk(message.importId, message.chunk, counts);
  deps.log.info({ importId: message.importId, chunk: message.chunk, rows: stored.length, counts }, 'phone import: chunk done');
  await finalizeIfDone(message.importId, deps);
  return 'processed';
}

/** Every row of a chunk that could not be worked, failed with the reason (rows already `applying` may be applied). */
function failedOutcomes(rows: readonly StoredRow[], why: string): Map<number, RowOutcome> {
  return new Map(
    rows.map((r) => [
      r.line,
      {
        status: 'failed' as const,
        action: 'none',
        reason:
          r.state === 'applying'
            ? `the chunk failed before its outcome was known (${why}); check the user's phone methods`
            : `the chunk failed: ${why}`,
      },
    ]),
  );
}

const asValid = (r: StoredRow): ValidRow => ({
  line: r.line,
  user: r.user,
  phoneNumber: r.phoneNumber ?? '',
  phoneType: r.phoneType ?? 'mobile',
  enableSmsSignIn: r.enableSmsSignIn === true,
});

async function runRows(
  message: ChunkMessage,
  todo: readonly StoredRow[],
  dryRun: boolean,
  deps: ProcessChunkDeps,
): Promise<{ outcomes: Map<number, RowOutcome>; transient: Set<number> }> {
  const transient = new Set<number>();
  const { settings } = deps;
  const users = await deps.directory.resolveUsers([...new Set(todo.map((r) => r.user))]);
  const found = (r: StoredRow) => {
    const u = users.get(r.user);
    return u?.kind === 'found' && u.user.accountEnabled ? u.user : undefined;
  };
  const userIds = [
    ...new Set(
      todo
        .map(found)
        .filter((u) => u !== undefined)
        .map((u) => u.id),
    ),
  ];
  const methods = userIds.length > 0 ? await deps.methods.listPhoneMethods(userIds) : new Map<string, MethodsLookup>();

  // The SMS policy and memberships matter only for rows that ask for SMS sign-in.
  const smsUsers = [
    ...new Set(todo.filter((r) => r.enableSmsSignIn && found(r)?.userType === 'Member').map((r) => found(r)?.id ?? '')),
  ].filter((id) => id !== '');
  const eligibility = new Map<string, SmsEligibility>();
  if (smsUsers.length > 0) {
    const policy: SmsPolicyFacts = await deps.methods.readSmsPolicy();
    const groups = [...new Set([...policy.signInTargets.filter((t) => t !== 'all_users'), ...policy.excludeGroupIds])];
    const memberships =
      groups.length > 0 && policy.enabled
        ? await deps.directory.memberOf(smsUsers, groups)
        : new Map<string, ReadonlySet<string>>();
    for (const id of smsUsers)
      eligibility.set(id, smsEligibility(policy, memberships.get(id) ?? new Set(), settings.smsSignInGroupId, id));
  }

  const options = { overwrite: settings.overwrite, enableSmsWithoutLicence: settings.enableSmsWithoutLicence, dryRun };
  const plans = new Map<number, { row: StoredRow; userId?: string; plan: RowPlan }>();
  for (const r of todo) {
    const lookup: UserLookup = users.get(r.user) ?? { kind: 'error', message: 'no answer from Graph' };
    const id = lookup.kind === 'found' ? lookup.user.id : undefined;
    const methodsOf = id ? methods.get(id) : undefined;
    if ((lookup.kind === 'error' && lookup.transient) || (methodsOf && !methodsOf.ok && methodsOf.transient))
      transient.add(r.line);
    const fresh = planRow(asValid(r), lookup, methodsOf, id ? eligibility.get(id) : undefined, options);
    plans.set(r.line, {
      row: r,
      ...(id && { userId: id }),
      plan: r.state === 'applying' ? reconcileRetry(r.planned, fresh) : fresh,
    });
  }

  await skipPrivileged(plans, users, deps);
  const outcomes = new Map<number, RowOutcome>();
  const acting = [...plans.values()].filter((p) => p.userId && (p.plan.phoneWrite || p.plan.enableSms || p.plan.addToGroup));
  for (const p of plans.values()) if (!acting.includes(p) || dryRun) outcomes.set(p.row.line, p.plan.outcome);
  if (dryRun || acting.length === 0) return { outcomes, transient };

  // Written before any change, so a worker that dies mid-chunk leaves a trace the retry can reconcile.
  await deps.rows.patchRows(
    message.importId,
    message.chunk,
    acting.map((p): RowPatch => ({ line: p.row.line, state: 'applying', planned: p.plan.outcome.status })),
  );

  const failedAt = new Map<number, string>();
  const fail = (line: number, what: string, r: WriteResult) => {
    if (!r.ok && !failedAt.has(line)) {
      failedAt.set(line, `${what}: ${r.code}: ${r.message}`);
      if (isTransient(r.status)) transient.add(line);
    }
  };

  // 1. Group adds first: SMS sign-in is only allowed once the user is in a group the policy targets.
  const byGroup = new Map<string, typeof acting>();
  for (const p of acting) {
    if (!p.plan.addToGroup) continue;
    const list = byGroup.get(p.plan.addToGroup) ?? [];
    list.push(p);
    byGroup.set(p.plan.addToGroup, list);
  }
  for (const [groupId, list] of byGroup) {
    const results = await deps.directory.addMembers(groupId, [...new Set(list.map((p) => p.userId ?? ''))]);
    for (const p of list) fail(p.row.line, 'adding to the SMS sign-in group failed', results.get(p.userId ?? '') ?? missing);
  }

  // 2. Phone numbers.
  const writes = acting.filter((p) => p.plan.phoneWrite && !failedAt.has(p.row.line));
  const writeResults = await deps.methods.writePhoneMethods(
    writes.map((p): PhoneWrite => ({
      userId: p.userId ?? '',
      kind: p.plan.phoneWrite?.kind ?? 'create',
      methodId: p.plan.phoneWrite?.methodId ?? '',
      phoneType: p.row.phoneType ?? 'mobile',
      phoneNumber: p.row.phoneNumber ?? '',
    })),
  );
  writes.forEach((p, i) =>
    fail(
      p.row.line,
      `${p.plan.phoneWrite?.kind === 'update' ? 'updating' : 'adding'} the ${p.row.phoneType} number failed`,
      writeResults[i] ?? missing,
    ),
  );

  // 3. SMS sign-in, for rows whose number is in place.
  const enables = acting.filter((p) => p.plan.enableSms && !failedAt.has(p.row.line));
  const enableResults =
    enables.length > 0
      ? await deps.methods.enableSmsSignIn([...new Set(enables.map((p) => p.userId ?? ''))])
      : new Map<string, WriteResult>();
  for (const p of enables) fail(p.row.line, 'SMS sign-in was not enabled', enableResults.get(p.userId ?? '') ?? missing);

  for (const p of acting) {
    const reason = failedAt.get(p.row.line);
    outcomes.set(
      p.row.line,
      reason === undefined
        ? p.plan.outcome
        : {
            status: 'failed',
            action: p.plan.outcome.action,
            reason: [reason, p.plan.outcome.reason].filter((s) => s !== '').join('; '),
          },
    );
  }
  return { outcomes, transient };
}

/**
 * A phone number is a sign-in factor: whoever can set an admin's number can take over the admin. So rows that would
 * change a privileged user (directory role holder, role-assignable group member) are `skipped` unless the user is in
 * PHONE_PRIVILEGED_ALLOWLIST (object id or UPN). Dry runs report the same.
 */
async function skipPrivileged(
  plans: Map<number, { row: StoredRow; userId?: string; plan: RowPlan }>,
  users: Map<string, UserLookup>,
  deps: ProcessChunkDeps,
): Promise<void> {
  const changing = [...plans.values()].filter((p) => p.userId && (p.plan.phoneWrite || p.plan.enableSms || p.plan.addToGroup));
  if (changing.length === 0) return;
  const privileged = await deps.privileged.privilegedAmong([...new Set(changing.map((p) => p.userId ?? ''))]);
  const allowed = new Set(deps.settings.privilegedAllowList);
  for (const p of changing) {
    const facts = privileged.get(p.userId ?? '');
    const lookup = users.get(p.row.user);
    const upn = lookup?.kind === 'found' ? lookup.user.userPrincipalName.toLowerCase() : '';
    if (!facts || allowed.has((p.userId ?? '').toLowerCase()) || allowed.has(upn)) continue;
    const why = facts.map((f) =>
      f.kind === 'directoryRole' ? `holds ${f.roleName}` : `member of role-assignable group ${f.groupName}`,
    );
    p.plan = {
      outcome: {
        status: 'skipped',
        action: 'none',
        reason: `privilegedUser: ${why.join('; ')}; add the user to PHONE_PRIVILEGED_ALLOWLIST to change their methods`,
      },
      enableSms: false,
    };
  }
}

const missing: WriteResult = { ok: false, status: 0, code: 'noResult', message: 'Graph returned no result for this item' };
