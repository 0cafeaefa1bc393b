/**
 * The run use case: read, plan, check guardrails, apply, record. Reached by HTTP (`POST /api/sync/jobs/{id}/run`) and
 * by the timer. One run per job at a time (a lease); a run killed mid-way leaves its lease to expire, and the next run
 * re-reads Graph, so adds that already happened are current members (or "already a member", counted as success) and
 * nothing is applied twice. The steps themselves are in runSteps.ts.
 */

import type { AuditSink } from '../audit';
import { conflict, notFound } from '../errors';
import { limitViolations } from './guardrails';
import type { SyncJob, SyncRun } from './jobModel';
import { LEASE_LOST, LeaseGuard } from './leaseGuard';
import type {
  JobRepository,
  MemberLedger,
  MembershipReader,
  MembershipWriter,
  RunLeases,
  RunRecords,
  ScheduleStore,
  SnapshotStore,
} from './ports';
import {
  applyPlan,
  describeGroups,
  keepState,
  limitError,
  openRun,
  outcomeOf,
  ownedBeforeApply,
  planRun,
  preconditionErrors,
  readFacts,
  recordRun,
  startRun,
  withPlan,
  writeAhead,
} from './runSteps';

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
  readonly jobs: Pick<JobRepository, 'get'>;
  readonly runs: RunRecords;
  readonly leases: RunLeases;
  readonly schedules: ScheduleStore;
  readonly snapshots: SnapshotStore;
  readonly ledger: MemberLedger;
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
  const lease = await deps.leases.acquireLease(jobId, runId, deps.settings.leaseTtlMs);
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
      deps.log?.warn({ jobId, errorCode: reason.code, reason: reason.message }, 'sync run stopping');
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

/** Closes the record of a run whose lease this run took over (its process was killed or the host recycled). */
export async function markInterrupted(deps: Pick<RunDeps, 'runs' | 'now'>, runId: string): Promise<void> {
  const previous = await deps.runs.getRun(runId);
  if (!previous || previous.status !== 'running') return;
  await deps.runs.saveRun({
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

/** One run, top to bottom; every early return records why the run ended there. */
async function execute(deps: RunDeps, job: SyncJob, runId: string, options: RunOptions, guard: LeaseGuard): Promise<SyncRun> {
  const opened = openRun(job, runId, options, deps.now().toISOString(), deps.writer.counters());
  await startRun(deps, opened);

  const read = await readFacts(deps, job, guard);
  if ('error' in read) return recordRun(deps, opened, 'failed', [read.error]);
  const described = describeGroups(opened, job, read.loaded);
  const refusals = preconditionErrors(job, read.loaded);
  if (refusals.length > 0) return recordRun(deps, described, 'failed', refusals);

  const ledger = await deps.ledger.loadLedger(job.jobId);
  const planned = planRun(job, read.loaded, ledger);
  const run = withPlan(described, job, read.loaded, planned, deps.settings.largeTargetWarning);
  const violations = limitViolations(planned.plan, job.limits, planned.current.size);
  if (violations.length > 0) {
    return recordRun(deps, { ...run, blockedBy: violations }, 'blocked', [limitError(job.jobId, violations)]);
  }
  if (options.dryRun) return recordRun(deps, run, 'succeeded');

  const owned = ownedBeforeApply(ledger, planned);
  const refused = await writeAhead(deps, job.jobId, owned, guard);
  if (refused) return recordRun(deps, run, 'failed', [refused]);
  const applied = await applyPlan(deps, job, run, planned.plan, guard);
  await keepState(deps, job, read.loaded, planned, owned, applied, guard);
  return recordRun(
    deps,
    applied.run,
    outcomeOf(applied),
    applied.stopped ? [...applied.errors, applied.stopped] : [...applied.errors],
  );
}
