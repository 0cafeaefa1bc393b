/**
 * What the one sync timer does: every enabled job with a schedule that has an occurrence since the last one handled
 * is run once (missed occurrences collapse). A job that is already running is skipped; it is due again next tick.
 */

import { AppError, toError } from '../errors';
import type { SyncRun } from './jobModel';
import type { JobRepository, ScheduleStore } from './ports';
import { dueOccurrence } from './schedule';

export interface DueJobsDeps {
  readonly jobs: Pick<JobRepository, 'list'>;
  readonly schedules: ScheduleStore;
  readonly now: () => Date;
  /** Runs one job (runJob with the run's own Graph scope). */
  readonly run: (jobId: string) => Promise<SyncRun>;
}

export interface DueJobOutcome {
  readonly jobId: string;
  readonly scheduledFor: string;
  readonly runId?: string;
  readonly status: SyncRun['status'] | 'skipped' | 'error';
  readonly message?: string;
}

export async function runDueJobs(deps: DueJobsDeps): Promise<DueJobOutcome[]> {
  const now = deps.now();
  const outcomes: DueJobOutcome[] = [];
  for (const job of await deps.jobs.list()) {
    if (!job.enabled || !job.schedule) continue;
    const state = await deps.schedules.getScheduleState(job.jobId);
    const since = new Date(state?.lastScheduledFor ?? job.createdAt);
    const occurrence = dueOccurrence(job.schedule, since, now);
    if (!occurrence) continue;
    const scheduledFor = occurrence.toISOString();
    try {
      const run = await deps.run(job.jobId);
      await deps.schedules.setScheduleState(job.jobId, { lastScheduledFor: scheduledFor, lastRunId: run.runId });
      outcomes.push({ jobId: job.jobId, scheduledFor, runId: run.runId, status: run.status });
    } catch (err) {
      if (err instanceof AppError && err.code === 'SYNC_RUN_IN_PROGRESS') {
        outcomes.push({ jobId: job.jobId, scheduledFor, status: 'skipped', message: err.message });
        continue;
      }
      // One broken job must not stop the others; the failure is reported and the job is due again next tick.
      outcomes.push({ jobId: job.jobId, scheduledFor, status: 'error', message: toError(err).message });
    }
  }
  return outcomes;
}
