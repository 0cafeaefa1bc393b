/**
 * The steps of one sync run, in the order runJob's `execute` calls them: open the run record, read the members, check
 * the job can run, plan, check the limits, write the ledger ahead, apply the plan in slices, keep the state, record the
 * outcome. Each step takes the ports it needs and returns a new run value instead of changing one it was given, so a
 * test can call any step alone.
 */

import type { AuditEntry } from '../audit';
import { AppError, toError } from '../errors';
import { appliedOutcome, type RunOutcome } from '../runOutcome';
import { describeViolations, fanOutWarning, type LimitViolation, targetProblems, targetWarnings } from './guardrails';
import type { RunError, RunGroupRef, SyncJob, SyncRun } from './jobModel';
import { type LoadedMembership, loadMembership } from './membership';
import { computePlan, desiredMembers, expandMembers, type SyncPlan } from './plan';
import type { MemberFacts, WriteOutcome } from './ports';
import type { RunDeps, RunOptions } from './runJob';

/** What the steps need of the run's lease (LeaseGuard): fence writes, and know why the run had to stop. */
export interface RunFence {
  /** Throws unless the run still holds its lease and is within its deadline. */
  fence(): Promise<void>;
  /** Renews the lease ignoring the deadline; false when another run holds the job now. */
  holdsLease(): Promise<boolean>;
  readonly reason: AppError | undefined;
}

/** An error of the run as a whole (keyed by the job id), with the code of an AppError or `fallbackCode`. */
export function runError(jobId: string, err: unknown, fallbackCode: string): RunError {
  return { id: jobId, code: err instanceof AppError ? err.code : fallbackCode, message: toError(err).message };
}

/** The run record as it starts: nothing read or planned yet, groups named as the job last saw them. */
export function openRun(
  job: SyncJob,
  runId: string,
  options: RunOptions,
  startedAt: string,
  graphRequests: SyncRun['graphRequests'],
): SyncRun {
  return {
    runId,
    jobId: job.jobId,
    jobName: job.name,
    dryRun: options.dryRun,
    status: 'running',
    trigger: options.trigger,
    actor: options.actor,
    startedAt,
    mode: job.mode,
    target: { id: job.target, displayName: job.targetName },
    sources: job.sources.map((s) => ({ id: s.group, displayName: s.displayName })),
    exclude: job.exclude.map((s) => ({ id: s.group, displayName: s.displayName })),
    plan: { add: [], remove: [] },
    counts: { desired: 0, current: 0, added: 0, removed: 0, unchanged: 0, failed: 0 },
    graphRequests,
    errors: [],
    warnings: [],
  };
}

/** Saves the opening record and points the job at it. */
export async function startRun(deps: Pick<RunDeps, 'runs' | 'schedules'>, run: SyncRun): Promise<void> {
  await deps.runs.saveRun(run);
  // The latest run is findable from the job even when the HTTP caller gave up waiting (Azure answers HTTP in <= 230 s).
  const schedule = await deps.schedules.getScheduleState(run.jobId);
  await deps.schedules.setScheduleState(run.jobId, { ...schedule, lastRunId: run.runId });
}

/** Reads the members of every group the job names; a failed read becomes the run's error. */
export async function readFacts(
  deps: Pick<RunDeps, 'reader' | 'snapshots' | 'now' | 'settings'>,
  job: SyncJob,
  guard: RunFence,
): Promise<{ readonly loaded: LoadedMembership } | { readonly error: RunError }> {
  try {
    const membershipDeps = {
      reader: deps.reader,
      snapshots: deps.snapshots,
      now: deps.now,
      fullRefreshMs: deps.settings.fullRefreshMs,
      fence: () => guard.fence(),
    };
    return { loaded: await loadMembership(membershipDeps, job) };
  } catch (caught) {
    // A Graph call cancelled because the lease was lost reports the lease, not the cancellation.
    return { error: runError(job.jobId, guard.reason ?? caught, 'SYNC_READ_FAILED') };
  }
}

/** The run's groups with their current names, how each was read and how many direct members it has. */
export function describeGroups(run: SyncRun, job: SyncJob, loaded: LoadedMembership): SyncRun {
  const describe = (id: string, displayName: string): RunGroupRef => {
    const members = loaded.groups.get(id);
    const read = loaded.reads.get(id);
    return {
      id,
      displayName: loaded.info.get(id)?.displayName ?? displayName,
      ...(read ? { read } : {}),
      ...(members ? { memberCount: members.size } : {}),
    };
  };
  return {
    ...run,
    target: describe(job.target, job.targetName),
    sources: job.sources.map((s) => describe(s.group, s.displayName)),
    exclude: job.exclude.map((s) => describe(s.group, s.displayName)),
  };
}

/** The plan and what it was computed from. */
export interface PlannedRun {
  readonly plan: SyncPlan;
  readonly desired: ReadonlySet<string>;
  /** Direct members of the target as read. */
  readonly current: ReadonlyMap<string, MemberFacts>;
  /** What is known of each member the plan adds (the target snapshot records them once added). */
  readonly addFacts: ReadonlyMap<string, MemberFacts>;
}

/** Who should be in the target and what to add and remove (pure; see plan.ts). */
export function planRun(job: SyncJob, loaded: LoadedMembership, ledger: ReadonlySet<string>): PlannedRun {
  const desired = desiredMembers({
    targetId: job.target,
    sources: job.sources,
    exclude: job.exclude,
    groups: loaded.groups,
    filter: job,
  });
  const current = loaded.groups.get(job.target) ?? new Map<string, MemberFacts>();
  const plan = computePlan({
    desired,
    current: new Set(current.keys()),
    mode: job.mode,
    protectedIds: new Set(job.protected),
    addedByJob: ledger,
  });
  const adds = new Set(plan.add);
  const addFacts = new Map<string, MemberFacts>();
  for (const members of loaded.groups.values()) for (const [id, m] of members) if (adds.has(id)) addFacts.set(id, m);
  return { plan, desired, current, addFacts };
}

/** The run record with its plan, counts and warnings (the target's own, and a fan-out over the threshold). */
export function withPlan(
  run: SyncRun,
  job: SyncJob,
  loaded: LoadedMembership,
  planned: PlannedRun,
  largeTargetWarning: number,
): SyncRun {
  const { plan, desired, current } = planned;
  const targetInfo = loaded.info.get(job.target);
  return {
    ...run,
    plan: { add: plan.add, remove: plan.remove },
    counts: { desired: desired.size, current: current.size, added: 0, removed: 0, unchanged: plan.unchanged, failed: 0 },
    warnings: [...(targetInfo ? targetWarnings(targetInfo) : []), ...fanOutWarning(desired.size, largeTargetWarning)],
  };
}

export function limitError(jobId: string, violations: readonly LimitViolation[]): RunError {
  return { id: jobId, code: 'SYNC_LIMIT_EXCEEDED', message: `Nothing was applied: ${describeViolations(violations)}` };
}

/** The job's members once the plan's adds are written: the ledger's current members plus every planned add. */
export function ownedBeforeApply(ledger: ReadonlySet<string>, planned: Pick<PlannedRun, 'plan' | 'current'>): Set<string> {
  const owned = new Set([...ledger].filter((id) => planned.current.has(id)));
  for (const id of planned.plan.add) owned.add(id);
  return owned;
}

/**
 * Write-ahead: the ledger names the planned adds before they happen, so a run killed between an add and its
 * bookkeeping still knows those members are the job's (additive mode may remove them later).
 */
export async function writeAhead(
  deps: Pick<RunDeps, 'ledger'>,
  jobId: string,
  owned: ReadonlySet<string>,
  guard: RunFence,
): Promise<RunError | undefined> {
  try {
    await guard.fence();
    await deps.ledger.saveLedger(jobId, owned);
    return undefined;
  } catch (err) {
    return runError(jobId, err, 'SYNC_WRITE_FAILED');
  }
}

/** How far the apply got: the run as of its last checkpoint, the members written, and the failures. */
export interface Applied {
  readonly run: SyncRun;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly errors: readonly RunError[];
  /** Why the apply stopped before the end (a write threw, the lease was lost, the deadline passed). */
  readonly stopped?: RunError;
}

/**
 * Applies the plan in slices (adds first), each fenced by the lease; after each slice its audit lines are written and
 * the run record is saved as a checkpoint. A throw stops the apply and is reported in `stopped`, with what was done.
 */
export async function applyPlan(
  deps: Pick<RunDeps, 'writer' | 'audit' | 'runs' | 'settings'>,
  job: SyncJob,
  run: SyncRun,
  plan: Pick<SyncPlan, 'add' | 'remove'>,
  guard: RunFence,
): Promise<Applied> {
  let progress: Applied = { run, added: [], removed: [], errors: [] };
  try {
    for (const [kind, ids] of [
      ['add', plan.add],
      ['remove', plan.remove],
    ] as const) {
      for (let i = 0; i < ids.length; i += deps.settings.writeSliceSize) {
        // Only the lease holder writes: a stale run (paused past its lease) must not apply an old plan.
        await guard.fence();
        const slice = ids.slice(i, i + deps.settings.writeSliceSize);
        const outcomes = kind === 'add' ? await deps.writer.add(job.target, slice) : await deps.writer.remove(job.target, slice);
        progress = tally(progress, kind, outcomes, deps.writer.counters());
        await deps.audit.write(outcomes.map((o) => auditFor(kind, o, job, run.runId, run.actor)));
        await deps.runs.saveRun(progress.run);
      }
    }
    return progress;
  } catch (caught) {
    return { ...progress, stopped: runError(job.jobId, guard.reason ?? caught, 'SYNC_WRITE_FAILED') };
  }
}

/** Adds one slice's outcomes to the progress (pure). */
export function tally(
  progress: Applied,
  kind: 'add' | 'remove',
  outcomes: readonly WriteOutcome[],
  graphRequests: SyncRun['graphRequests'],
): Applied {
  const done = outcomes.filter((o) => o.ok).map((o) => o.id);
  const failed = outcomes.flatMap((o) => (o.ok ? [] : [{ id: o.id, code: o.code, message: o.message }]));
  const added = kind === 'add' ? [...progress.added, ...done] : progress.added;
  const removed = kind === 'remove' ? [...progress.removed, ...done] : progress.removed;
  const errors = [...progress.errors, ...failed];
  const counts = { ...progress.run.counts, added: added.length, removed: removed.length, failed: errors.length };
  return { added, removed, errors, run: { ...progress.run, counts, errors, graphRequests } };
}

/** How an applied run ends: a stopped apply is partial when anything went through, otherwise by its failures. */
export function outcomeOf(applied: Pick<Applied, 'added' | 'removed' | 'errors' | 'stopped'>): RunOutcome {
  const done = applied.added.length + applied.removed.length;
  if (applied.stopped) return done > 0 ? 'partial' : 'failed';
  return appliedOutcome(done, applied.errors.length);
}

/**
 * Saves the ledger (minus the members removed) and the target's snapshot (with what was written), only while this run
 * still holds the lease (renewed on its etag first): never over a newer run's state.
 */
export async function keepState(
  deps: Pick<RunDeps, 'ledger' | 'snapshots'>,
  job: SyncJob,
  loaded: Pick<LoadedMembership, 'snapshots'>,
  planned: Pick<PlannedRun, 'current' | 'addFacts'>,
  owned: ReadonlySet<string>,
  applied: Pick<Applied, 'added' | 'removed'>,
  guard: RunFence,
): Promise<void> {
  if (!(await guard.holdsLease())) return;
  const removed = new Set(applied.removed);
  await deps.ledger.saveLedger(job.jobId, new Set([...owned].filter((id) => !removed.has(id))));
  const snapshot = loaded.snapshots.get(job.target);
  // The target snapshot keeps its delta link; the next round replays these same changes, which is harmless.
  if (snapshot) await deps.snapshots.saveSnapshot(job.jobId, { ...snapshot, members: targetAfter(planned, applied) });
}

/** The target's direct members after the apply (pure). */
export function targetAfter(
  planned: Pick<PlannedRun, 'current' | 'addFacts'>,
  applied: Pick<Applied, 'added' | 'removed'>,
): MemberFacts[] {
  const members = new Map(planned.current);
  const added = new Set(applied.added);
  for (const [id, facts] of planned.addFacts) if (added.has(id)) members.set(id, facts);
  for (const id of applied.removed) members.delete(id);
  return [...members.values()];
}

/** Finishes the record with its outcome and errors, saves it and writes the run's audit line. */
export async function recordRun(
  deps: Pick<RunDeps, 'runs' | 'audit' | 'writer' | 'now'>,
  run: SyncRun,
  status: RunOutcome,
  errors: readonly RunError[] = [],
): Promise<SyncRun> {
  const done: SyncRun = { ...run, status, errors, finishedAt: deps.now().toISOString(), graphRequests: deps.writer.counters() };
  await deps.runs.saveRun(done);
  await deps.audit.write([
    {
      action: 'sync.run',
      outcome: done.dryRun && status === 'succeeded' ? 'planned' : status,
      actor: done.actor,
      target: done.target.id,
      job: done.jobId,
      runId: done.runId,
      reason:
        errors[0]?.message ??
        `${done.plan.add.length} to add, ${done.plan.remove.length} to remove${done.dryRun ? ' (dry run)' : ''}`,
      details: { status, dryRun: done.dryRun, counts: done.counts, graphRequests: done.graphRequests },
    },
  ]);
  return done;
}

/** Why the job cannot run as saved: a group is gone, the target cannot be written, or it is nested in a source. */
export function preconditionErrors(job: SyncJob, loaded: LoadedMembership): RunError[] {
  const errors: RunError[] = [];
  if (loaded.missing.has(job.target)) {
    errors.push({
      id: job.target,
      code: 'SYNC_TARGET_NOT_FOUND',
      message: `Target group '${job.targetName}' (${job.target}) no longer exists`,
    });
  }
  for (const s of job.sources) {
    if (loaded.missing.has(s.group)) {
      errors.push({
        id: s.group,
        code: 'SYNC_SOURCE_NOT_FOUND',
        message: `Source group '${s.displayName}' (${s.group}) no longer exists; nothing was applied (update or delete the job)`,
      });
    }
  }
  for (const e of job.exclude) {
    if (loaded.missing.has(e.group)) {
      errors.push({
        id: e.group,
        code: 'SYNC_EXCLUDE_NOT_FOUND',
        message: `Exclude group '${e.displayName}' (${e.group}) no longer exists; nothing was applied`,
      });
    }
  }
  const target = loaded.info.get(job.target);
  if (target) for (const p of targetProblems(target)) errors.push({ id: job.target, code: p.code, message: p.message });
  for (const s of job.sources) {
    if (s.transitive && expandMembers(s.group, true, loaded.groups).has(job.target)) {
      errors.push({
        id: s.group,
        code: 'SYNC_TARGET_NESTED_IN_SOURCE',
        message: `The target is nested inside source '${s.displayName}' (${s.group}): the job would feed its own members back into itself`,
      });
    }
  }
  return errors;
}

/** The audit line of one member write. */
export function auditFor(kind: 'add' | 'remove', outcome: WriteOutcome, job: SyncJob, runId: string, actor: string): AuditEntry {
  const reason =
    kind === 'add'
      ? `member of a source of job '${job.name}'`
      : job.mode === 'mirror'
        ? `not in any source of job '${job.name}' (mirror mode)`
        : `added by job '${job.name}' and no longer in any source`;
  return {
    action: kind === 'add' ? 'sync.member.add' : 'sync.member.remove',
    outcome: outcome.ok ? 'succeeded' : 'failed',
    actor,
    target: outcome.id,
    job: job.jobId,
    runId,
    reason: outcome.ok ? reason : `${reason}; failed: ${outcome.code} ${outcome.message}`,
    details: { group: job.target, ...(outcome.ok && outcome.noop ? { noop: true } : {}) },
  };
}
