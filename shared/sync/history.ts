/**
 * Read models over past runs for the console and the API: a job's run history, and what happened in the last 24 h
 * (runs, failures, Graph requests and throttling). The store keeps one small summary per run next to the full record.
 */

import { z } from 'zod';

import type { RunStatus, SyncRun } from './jobModel';

export interface RunSummary {
  readonly runId: string;
  readonly jobId: string;
  readonly jobName: string;
  readonly status: RunStatus;
  readonly dryRun: boolean;
  readonly trigger: SyncRun['trigger'];
  readonly actor: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly counts: SyncRun['counts'];
  readonly graphRequests: SyncRun['graphRequests'];
  readonly errorCount: number;
  readonly blockedBy?: SyncRun['blockedBy'];
}

export interface RunHistory {
  /** Newest first; `after` is the continuation a previous page returned. */
  forJob(jobId: string, top: number, after?: string): Promise<{ runs: RunSummary[]; next?: string }>;
  /** Every run that started at or after `since`, newest first. */
  since(since: Date): Promise<RunSummary[]>;
}

export function summarizeRun(run: SyncRun): RunSummary {
  return {
    runId: run.runId,
    jobId: run.jobId,
    jobName: run.jobName,
    status: run.status,
    dryRun: run.dryRun,
    trigger: run.trigger,
    actor: run.actor,
    startedAt: run.startedAt,
    ...(run.finishedAt !== undefined && { finishedAt: run.finishedAt }),
    counts: run.counts,
    graphRequests: run.graphRequests,
    errorCount: run.errors.length,
    ...(run.blockedBy !== undefined && { blockedBy: run.blockedBy }),
  };
}

export interface SyncActivity {
  readonly since: string;
  readonly runs: number;
  readonly byStatus: Readonly<Record<RunStatus, number>>;
  readonly graphRequests: SyncRun['graphRequests'];
  /** Failed, blocked and partial runs, newest first (at most `limit`). */
  readonly problems: readonly RunSummary[];
}

export async function syncActivity(history: RunHistory, now: Date, limit = 20): Promise<SyncActivity> {
  const since = new Date(now.getTime() - 24 * 3600_000);
  const runs = await history.since(since);
  const byStatus: Record<RunStatus, number> = { running: 0, succeeded: 0, partial: 0, blocked: 0, failed: 0 };
  const graphRequests = { httpCalls: 0, subRequests: 0, throttled: 0, retries: 0 };
  for (const r of runs) {
    byStatus[r.status] += 1;
    graphRequests.httpCalls += r.graphRequests.httpCalls;
    graphRequests.subRequests += r.graphRequests.subRequests;
    graphRequests.throttled += r.graphRequests.throttled;
    graphRequests.retries += r.graphRequests.retries;
  }
  const problems = runs.filter((r) => r.status === 'failed' || r.status === 'blocked' || r.status === 'partial').slice(0, limit);
  return { since: since.toISOString(), runs: runs.length, byStatus, graphRequests, problems };
}

/** `GET /api/sync/jobs/{jobId}/runs?top=&after=` */
export const runsQuery = z.object({
  top: z.coerce.number().int().min(1).max(100).default(20),
  after: z
    .string()
    .regex(/^\d{13}_[\w-]{1,100}$/, 'must be the `next` value of a previous page')
    .optional(),
});
