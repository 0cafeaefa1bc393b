/**
 * The break-glass guard. The emergency accounts and groups are listed in configuration (never guessed from names);
 * every policy, in every state (a disabled or report-only policy is one click from enforcement), must exclude each
 * account (directly or through an excluded group it belongs to) and each group. A configured id that does not exist,
 * or is not a user/group, is a configuration error, never a pass. Violations go into the run record and one ticket
 * per policy and set of missing exclusions; with auto-fix on, the exclusions are added (audited).
 */
import type { AuditSink } from '../audit';
import type { PlanStore } from './backupPorts';
import { isJson, type Json, userAssignments } from './model';
import type { DirectoryLookup, PolicyReader, PolicyWriter, TicketOpener } from './ports';
import type { BreakGlassConfig } from './restore';

export interface BreakGlassDeps {
  readonly policies: PolicyReader & PolicyWriter;
  readonly directory: DirectoryLookup;
  readonly config: BreakGlassConfig;
  readonly runs: PlanStore<BreakGlassRun>;
  readonly audit: AuditSink;
  /** Absent when no ticket provider is wired: violations are then only in the run record. */
  readonly tickets?: TicketOpener;
  readonly now: () => Date;
  readonly newId: () => string;
}

export interface Violation {
  readonly policyId: string;
  readonly policyName: string;
  readonly state: string;
  readonly missingUsers: { id: string; displayName: string | null }[];
  readonly missingGroups: { id: string; displayName: string | null }[];
  ticket?: { provider: string; externalId: string; displayId?: string; url?: string } | { error: string };
  fix?: 'planned' | 'applied' | 'refused' | 'failed';
  fixMessage?: string;
}

export interface BreakGlassRun {
  readonly runId: string;
  readonly startedAt: string;
  readonly trigger: 'timer' | 'http';
  /** `blocked` = configuration error (nothing was checked); `succeeded` = every policy checked. */
  status: 'succeeded' | 'blocked' | 'partial';
  readonly configurationErrors: { id: string; problem: string }[];
  readonly checkedPolicies: number;
  readonly violations: Violation[];
  readonly autoFix: boolean;
  readonly dryRun: boolean;
  finishedAt?: string;
}

export function findViolations(
  policies: readonly Json[],
  config: BreakGlassConfig,
  groupsOfUser: ReadonlyMap<string, ReadonlySet<string>>,
  names: ReadonlyMap<string, string | null>,
): Violation[] {
  const out: Violation[] = [];
  for (const p of policies) {
    const u = userAssignments(p);
    const excludedGroups = new Set(u.excludeGroups);
    const missingUsers = config.users.filter(
      (id) => !u.excludeUsers.includes(id) && ![...(groupsOfUser.get(id) ?? [])].some((g) => excludedGroups.has(g)),
    );
    const missingGroups = config.groups.filter((id) => !excludedGroups.has(id));
    if (missingUsers.length + missingGroups.length === 0) continue;
    const named = (id: string) => ({ id, displayName: names.get(id) ?? null });
    out.push({
      policyId: String(p.id),
      policyName: String(p.displayName),
      state: String(p.state),
      missingUsers: missingUsers.map(named),
      missingGroups: missingGroups.map(named),
    });
  }
  return out;
}

export async function runBreakGlassGuard(
  deps: BreakGlassDeps,
  options: { trigger: 'timer' | 'http'; actor: string; autoFix: boolean; dryRun: boolean },
): Promise<BreakGlassRun> {
  const run: BreakGlassRun = {
    runId: deps.newId(),
    startedAt: deps.now().toISOString(),
    trigger: options.trigger,
    status: 'succeeded',
    configurationErrors: [],
    checkedPolicies: 0,
    violations: [],
    autoFix: options.autoFix,
    dryRun: options.dryRun,
  };
  const configured = [...deps.config.users, ...deps.config.groups];
  if (configured.length === 0) {
    run.configurationErrors.push({
      id: '(none)',
      problem: 'no break-glass accounts or groups are configured (CA_BREAK_GLASS_USERS, CA_BREAK_GLASS_GROUPS)',
    });
  }
  const found = await deps.directory.namesOf(configured);
  for (const [ids, type] of [
    [deps.config.users, 'user'],
    [deps.config.groups, 'group'],
  ] as const) {
    for (const id of ids) {
      const d = found.get(id);
      if (!d) run.configurationErrors.push({ id, problem: `configured break-glass ${type} does not exist in the tenant` });
      else if (d.type !== type) run.configurationErrors.push({ id, problem: `configured as a ${type} but is a ${d.type}` });
    }
  }
  if (run.configurationErrors.length > 0) return finish(deps, run, 'blocked');

  const policies = await deps.policies.listPolicies();
  const groupsOfUser = new Map<string, Set<string>>();
  for (const id of deps.config.users) groupsOfUser.set(id, await deps.directory.groupsOf(id));
  const names = new Map([...found].map(([id, d]) => [id, d.displayName]));
  const violations = findViolations(policies, deps.config, groupsOfUser, names);
  (run as { checkedPolicies: number }).checkedPolicies = policies.length;
  run.violations.push(...violations);

  for (const v of violations) {
    if (deps.tickets) await openTicket(deps.tickets, v);
    if (options.autoFix) await fixViolation(deps, v, options, run.runId);
  }
  const failed = violations.some((v) => v.fix === 'failed' || (v.ticket !== undefined && 'error' in v.ticket));
  return finish(deps, run, failed ? 'partial' : 'succeeded');
}

async function finish(deps: BreakGlassDeps, run: BreakGlassRun, status: BreakGlassRun['status']): Promise<BreakGlassRun> {
  run.status = status;
  run.finishedAt = deps.now().toISOString();
  await deps.runs.put(run.runId, run);
  await deps.runs.put('latest', run);
  return run;
}

async function openTicket(tickets: TicketOpener, v: Violation): Promise<void> {
  const missing = [...v.missingUsers, ...v.missingGroups].map((m) => m.id).sort();
  try {
    const ref = await tickets.open({
      // One ticket per policy and set of missing exclusions: re-runs find the same ticket instead of opening another.
      key: `ca-break-glass:${v.policyId}:${missing.join(',')}`,
      category: 'ca-break-glass',
      title: `Conditional Access policy "${v.policyName}" does not exclude the break-glass accounts`,
      severity: v.state === 'enabled' ? 'high' : 'medium',
      sections: [
        {
          heading: 'What is wrong',
          lines: [
            `Policy "${v.policyName}" (${v.policyId}, state ${v.state}) must exclude every break-glass account and group.`,
            ...v.missingUsers.map((m) => `Account not excluded: ${m.displayName ?? m.id} (${m.id})`),
            ...v.missingGroups.map((m) => `Group not excluded: ${m.displayName ?? m.id} (${m.id})`),
          ],
        },
        {
          heading: 'How to fix',
          lines: ["Add the break-glass group to the policy's excluded groups (or set CA_BREAK_GLASS_AUTOFIX=true)."],
        },
      ],
      facts: { policyId: v.policyId, state: v.state, missing: missing.join(',') },
    });
    v.ticket = {
      provider: ref.provider,
      externalId: ref.externalId,
      ...(ref.displayId ? { displayId: ref.displayId } : {}),
      ...(ref.url ? { url: ref.url } : {}),
    };
  } catch (err) {
    v.ticket = { error: err instanceof Error ? err.message : String(err) };
  }
}

async function fixViolation(
  deps: BreakGlassDeps,
  v: Violation,
  options: { actor: string; dryRun: boolean },
  runId: string,
): Promise<void> {
  if (options.dryRun) {
    v.fix = 'planned';
    return;
  }
  try {
    // Re-read so the PATCH carries the policy's current lists, not the ones seen at the start of the run.
    const current = await deps.policies.getPolicy(v.policyId);
    if (!current) {
      v.fix = 'refused';
      v.fixMessage = 'the policy was deleted during the run';
      return;
    }
    const u = userAssignments(current);
    const users = { ...(isJson(current.conditions) && isJson(current.conditions.users) ? current.conditions.users : {}) };
    users.excludeUsers = [...new Set([...u.excludeUsers, ...v.missingUsers.map((m) => m.id)])];
    users.excludeGroups = [...new Set([...u.excludeGroups, ...v.missingGroups.map((m) => m.id)])];
    await deps.policies.updatePolicy(v.policyId, { conditions: { users } });
    v.fix = 'applied';
  } catch (err) {
    v.fix = 'failed';
    v.fixMessage = err instanceof Error ? err.message : String(err);
  }
  await deps.audit.write([
    {
      action: 'ca.breakGlass.exclude',
      outcome: v.fix === 'applied' ? 'succeeded' : 'failed',
      actor: options.actor,
      target: v.policyId,
      job: 'ca-break-glass',
      runId,
      ...(v.fixMessage ? { reason: v.fixMessage } : {}),
      details: { users: v.missingUsers.map((m) => m.id), groups: v.missingGroups.map((m) => m.id) },
    },
  ]);
}
