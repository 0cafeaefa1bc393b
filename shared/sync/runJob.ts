import type { AuditEntry, AuditSink } from '../audit';
import { AppError, conflict, notFound, toError } from '../errors';
import { appliedOutcome, type RunOutcome } from '../runOutcome';
import { describeViolations, fanOutWarning, limitViolations, targetProblems, targetWarnings } from './guardrails';
import type { RunError, RunGroupRef, SyncJob, SyncRun } from './jobModel';
import { LEASE_LOST, LeaseGuard } from './leaseGuard';
import { type LoadedMembership, loadMembership } from './membership';
import { computePlan, desiredMembers, expandMembers } from './plan';
import type { JobRepository, MemberFacts, MembershipReader, MembershipWriter, SyncStateStore, WriteOutcome } from './ports';

/**
 * The run use case: read, plan, check guardrails, apply, record. Reached by HTTP (`POST /api/sync/jobs/{id}/run`) and
 * by the timer. One run per job at a time (a lease); a run killed mid-way leaves its lease to expire, and the next run
 * re-reads Graph, so adds that already happened are current members (or "already a member", counted as success) and
 * nothing is applied twice.
 */
export interface RunSettings {
  readonly largeTargetWarning: number;
  readonly leaseTtlMs: number;
  readonly fullRefreshMs: number;
  /** Members per write slice; after each slice the run record (checkpoint), ledger and audit log are written. */
  readonly writeSliceSize: number;
  /**
   * A run starts no new work after this long. Shorter than the lease, so a run ends before the lease it took could
   * lapse even if every heartbeat failed; the next run continues from what was applied.
   */
  readonly runDeadlineMs: number;
}

export const DEFAULT_RUN_SETTINGS: RunSettings = {
  largeTargetWarning: 50_000,
  leaseTtlMs: 15 * 60_000,
  fullRefreshMs: 24 * 3600_000,
  writeSliceSize: 4000,
  runDeadlineMs: 12 * 60_000,
};

/** What a run logs (pino's shape; every line carries the run id through the logger's bindings). */
export interface RunLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface RunDeps {
  readonly jobs: JobRepository;
  readonly state: SyncStateStore;
  readonly reader: MembershipReader;
  readonly writer: MembershipWriter;
  readonly audit: AuditSink;
  readonly now: () => Date;
  readonly newId: () => string;
  readonly settings: RunSettings;
  readonly log?: RunLog;
  /** Cancels the run's Graph calls in flight (the lease was lost or the deadline passed). */
  readonly cancel?: (reason: Error) => void;
}

export interface RunOptions {
  readonly dryRun: boolean;
  readonly actor: string;
  readonly trigger: 'http' | 'timer';
}

export async function runJob(deps: RunDeps, jobId: string, options: RunOptions): Promise<SyncRun> {
  const record = await deps.jobs.get(jobId);
  if (!record) throw notFound('SYNC_JOB_NOT_FOUND', `No sync job with id ${jobId}`);
  const runId = deps.newId();
  const lease = await deps.state.acquireLease(jobId, runId, deps.settings.leaseTtlMs);
  if ('heldBy' in lease) {
    throw conflict('SYNC_RUN_IN_PROGRESS', `Job ${jobId} is already running (run ${lease.heldBy}); try again when it ends`, {
      runId: lease.heldBy,
    });
  }
  const guard = new LeaseGuard(lease, {
    heartbeatMs: Math.max(250, Math.floor(deps.settings.leaseTtlMs / 3)),
    deadlineAt: deps.now().getTime() + deps.settings.runDeadlineMs,
    now: () => deps.now().getTime(),
    onStop: (reason) => {
      deps.log?.warn({ jobId, code: reason.code, reason: reason.message }, 'sync run stopping');
      deps.cancel?.(reason);
    },
  });
  guard.start();
  try {
    if (lease.takenOver) await markInterrupted(deps, lease.takenOver);
    deps.log?.info({ jobId, dryRun: options.dryRun, trigger: options.trigger }, 'sync run started');
    const run = await execute(deps, record.job, runId, options, guard);
    deps.log?.info({ jobId, status: run.status, counts: run.counts, graphRequests: run.graphRequests }, 'sync run ended');
    return run;
  } finally {
    guard.stop();
    if (guard.reason?.code !== LEASE_LOST) await lease.release();
  }
}

async function markInterrupted(deps: RunDeps, runId: string): Promise<void> {
  const previous = await deps.state.getRun(runId);
  if (!previous || previous.status !== 'running') return;
  await deps.state.saveRun({
    ...previous,
    status: previous.counts.added + previous.counts.removed > 0 ? 'partial' : 'failed',
    finishedAt: deps.now().toISOString(),
    errors: [
      ...previous.errors,
      {
        id: previous.jobId,
        code: 'SYNC_RUN_INTERRUPTED',
        message: 'The run stopped before it finished (host stopped or timed out); a later run completed the job',
      },
    ],
  });
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type RunDraft = Omit<Mutable<SyncRun>, 'warnings'> & { warnings: string[] };

async function execute(deps: RunDeps, job: SyncJob, runId: string, options: RunOptions, guard: LeaseGuard): Promise<SyncRun> {
  const run: RunDraft = {
    runId,
    jobId: job.jobId,
    jobName: job.name,
    dryRun: options.dryRun,
    status: 'running',
    trigger: options.trigger,
    actor: options.actor,
    startedAt: deps.now().toISOString(),
    mode: job.mode,
    target: { id: job.target, displayName: job.targetName },
    sources: job.sources.map((s) => ({ id: s.group, displayName: s.displayName })),
    exclude: job.exclude.map((s) => ({ id: s.group, displayName: s.displayName })),
    plan: { add: [], remove: [] },
    counts: { desired: 0, current: 0, added: 0, removed: 0, unchanged: 0, failed: 0 },
    graphRequests: deps.writer.counters(),
    errors: [],
    warnings: [],
  };
  const finish = async (status: RunOutcome, errors: RunError[] = []): Promise<SyncRun> => {
    run.status = status;
    run.errors = [...run.errors, ...errors];
    run.finishedAt = deps.now().toISOString();
    run.graphRequests = deps.writer.counters();
    await deps.state.saveRun(run);
    await deps.audit.write([
      {
        action: 'sync.run',
        outcome: options.dryRun && status === 'succeeded' ? 'planned' : status,
        actor: options.actor,
        target: job.target,
        job: job.jobId,
        runId,
        reason:
          run.errors[0]?.message ??
          `${run.plan.add.length} to add, ${run.plan.remove.length} to remove${options.dryRun ? ' (dry run)' : ''}`,
        details: { status, dryRun: options.dryRun, counts: run.counts, graphRequests: run.graphRequests },
      },
    ]);
    return { ...run };
  };
  await deps.state.saveRun(run);
  // The latest run is findable from the job even when the HTTP caller gave up waiting (Azure answers HTTP in <= 230 s).
  const schedule = await deps.state.getScheduleState(job.jobId);
  await deps.state.setScheduleState(job.jobId, { ...schedule, lastRunId: runId });

  let loaded: LoadedMembership;
  try {
    loaded = await loadMembership(
      {
        reader: deps.reader,
        state: deps.state,
        now: deps.now,
        fullRefreshMs: deps.settings.fullRefreshMs,
        fence: () => guard.fence(),
      },
      job,
    );
  } catch (caught) {
    // A Graph call cancelled because the lease was lost reports the lease, not the cancellation.
    const err = guard.reason ?? caught;
    return finish('failed', [
      { id: job.jobId, code: err instanceof AppError ? err.code : 'SYNC_READ_FAILED', message: toError(err).message },
    ]);
  }

  const describe = (id: string, displayName: string): RunGroupRef => {
    const members = loaded.groups.get(id);
    return {
      id,
      displayName: loaded.info.get(id)?.displayName ?? displayName,
      ...(loaded.reads.has(id) ? { read: loaded.reads.get(id) } : {}),
      ...(members ? { memberCount: members.size } : {}),
    };
  };
  run.target = describe(job.target, job.targetName);
  run.sources = job.sources.map((s) => describe(s.group, s.displayName));
  run.exclude = job.exclude.map((s) => describe(s.group, s.displayName));

  const refusals = preconditionErrors(job, loaded);
  if (refusals.length > 0) return finish('failed', refusals);
  const targetInfo = loaded.info.get(job.target);
  if (targetInfo) run.warnings.push(...targetWarnings(targetInfo));

  const desired = desiredMembers({
    targetId: job.target,
    sources: job.sources,
    exclude: job.exclude,
    groups: loaded.groups,
    filter: job,
  });
  const targetMembers = loaded.groups.get(job.target) ?? new Map<string, MemberFacts>();
  const current = new Set(targetMembers.keys());
  const ledger = await deps.state.loadLedger(job.jobId);
  const plan = computePlan({ desired, current, mode: job.mode, protectedIds: new Set(job.protected), addedByJob: ledger });
  run.plan = { add: plan.add, remove: plan.remove };
  run.counts = { desired: desired.size, current: current.size, added: 0, removed: 0, unchanged: plan.unchanged, failed: 0 };
  run.warnings.push(...fanOutWarning(desired.size, deps.settings.largeTargetWarning));

  const violations = limitViolations(plan, job.limits, current.size);
  if (violations.length > 0) {
    run.blockedBy = violations;
    return finish('blocked', [
      { id: job.jobId, code: 'SYNC_LIMIT_EXCEEDED', message: `Nothing was applied: ${describeViolations(violations)}` },
    ]);
  }
  if (options.dryRun) return finish('succeeded');

  // Write-ahead: the ledger names the planned adds before they happen, so a run killed between an add and its
  // bookkeeping still knows those members are the job's (additive mode may remove them later).
  const owned = new Set([...ledger].filter((id) => current.has(id)));
  for (const id of plan.add) owned.add(id);
  try {
    await guard.fence();
    await deps.state.saveLedger(job.jobId, owned);
  } catch (err) {
    return finish('failed', [
      { id: job.jobId, code: err instanceof AppError ? err.code : 'SYNC_WRITE_FAILED', message: toError(err).message },
    ]);
  }

  const facts = new Map<string, MemberFacts>();
  for (const members of loaded.groups.values()) for (const [id, m] of members) if (desired.has(id)) facts.set(id, m);
  const errors: RunError[] = [];
  const apply = async (kind: 'add' | 'remove', ids: readonly string[]) => {
    for (let i = 0; i < ids.length; i += deps.settings.writeSliceSize) {
      // Only the lease holder writes: a stale run (paused past its lease) must not apply an old plan.
      await guard.fence();
      const slice = ids.slice(i, i + deps.settings.writeSliceSize);
      const outcomes = kind === 'add' ? await deps.writer.add(job.target, slice) : await deps.writer.remove(job.target, slice);
      const entries: AuditEntry[] = [];
      for (const outcome of outcomes) {
        entries.push(auditFor(kind, outcome, job, runId, options.actor));
        if (!outcome.ok) {
          errors.push({ id: outcome.id, code: outcome.code, message: outcome.message });
          continue;
        }
        if (kind === 'add') {
          run.counts = { ...run.counts, added: run.counts.added + 1 };
          targetMembers.set(outcome.id, facts.get(outcome.id) ?? { id: outcome.id, type: 'other' });
        } else {
          run.counts = { ...run.counts, removed: run.counts.removed + 1 };
          targetMembers.delete(outcome.id);
          owned.delete(outcome.id);
        }
      }
      run.counts = { ...run.counts, failed: errors.length };
      run.errors = [...errors];
      run.graphRequests = deps.writer.counters();
      await deps.audit.write(entries);
      await deps.state.saveRun(run);
    }
  };

  try {
    await apply('add', plan.add);
    await apply('remove', plan.remove);
  } catch (caught) {
    const err = guard.reason ?? caught;
    run.errors = [];
    return finish(run.counts.added + run.counts.removed > 0 ? 'partial' : 'failed', [
      ...errors,
      { id: job.jobId, code: err instanceof AppError ? err.code : 'SYNC_WRITE_FAILED', message: toError(err).message },
    ]);
  } finally {
    // Written only while this run still holds the lease (renewed on its etag first): never over a newer run's state.
    if (await guard.holdsLease()) {
      await deps.state.saveLedger(job.jobId, owned);
      const snapshot = loaded.snapshots.get(job.target);
      // The target snapshot keeps its delta link; the next round replays these same changes, which is harmless.
      if (snapshot) await deps.state.saveSnapshot(job.jobId, { ...snapshot, members: [...targetMembers.values()] });
    }
  }
  run.errors = [];
  return finish(appliedOutcome(run.counts.added + run.counts.removed, errors.length), errors);
}

function preconditionErrors(job: SyncJob, loaded: LoadedMembership): RunError[] {
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

function auditFor(kind: 'add' | 'remove', outcome: WriteOutcome, job: SyncJob, runId: string, actor: string): AuditEntry {
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
