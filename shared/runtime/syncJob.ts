/**
 * Wires group sync's ports to the real adapters; the triggers, the timer and the bench share it. Every run gets its
 * own Graph scope, so the run record's `graphRequests` are exactly that run's requests.
 */

import { randomUUID } from 'node:crypto';

import type { AuditSink } from '../audit';
import { createGroupsAdapter, type GroupsAdapterOptions } from '../graph/groups';
import { createLogger, type Logger } from '../log';
import { type SyncStores, syncStores } from '../storage/syncStore';
import type { SyncRun } from '../sync/jobModel';
import type { JobDeps } from '../sync/jobs';
import { DEFAULT_RUN_SETTINGS, type RunDeps, runJob, type RunOptions, type RunSettings } from '../sync/runJob';
import type { Services } from './services';

export interface SyncComposeOptions {
  readonly settings?: Partial<RunSettings>;
  readonly adapter?: Partial<GroupsAdapterOptions>;
  /** Where member adds/removes are audited; the app's audit table by default. */
  readonly audit?: AuditSink;
  /** The invocation's logger; the run binds its run id, and the run's Graph retries and failures log through it. */
  readonly log?: Logger;
}

/** Saving jobs (JobDeps) and the job and run queries (getJob, getRun, deleteJob) over the same stores. */
export type SyncJobWiring = JobDeps & Pick<SyncStores, 'runs' | 'schedules' | 'cleanup'>;

export function syncJobDeps(services: Services, options: SyncComposeOptions = {}): SyncJobWiring {
  const { jobs, runs, schedules, cleanup } = syncStores(services.storage);
  return {
    jobs,
    runs,
    schedules,
    cleanup,
    directory: createGroupsAdapter(services.graph, { baseUrl: services.config.graph.baseUrl, ...options.adapter }),
    now: () => new Date(),
    newId: randomUUID,
  };
}

export function syncRunDeps(services: Services, options: SyncComposeOptions = {}): RunDeps {
  const { jobs, runs, leases, schedules, snapshots, ledger } = syncStores(services.storage);
  const settings = { ...DEFAULT_RUN_SETTINGS, largeTargetWarning: services.config.sync.largeTargetWarning, ...options.settings };
  // The run id is chosen here so every line of the run, the gateway's included, carries it.
  const runId = randomUUID();
  const log = (options.log ?? createLogger(services.config.logLevel)).child({ runId });
  const cancel = new AbortController();
  const graph = services.graph.scoped({
    logger: log,
    signal: cancel.signal,
    deadline: Date.now() + settings.runDeadlineMs,
  });
  const groups = createGroupsAdapter(graph, { baseUrl: services.config.graph.baseUrl, ...options.adapter });
  return {
    jobs,
    runs,
    leases,
    schedules,
    snapshots,
    ledger,
    reader: groups,
    writer: groups,
    audit: options.audit ?? services.audit,
    now: () => new Date(),
    newId: () => runId,
    settings,
    log,
    cancel: (reason) => cancel.abort(reason),
  };
}

export function runSyncJob(
  services: Services,
  jobId: string,
  options: RunOptions,
  compose: SyncComposeOptions = {},
): Promise<SyncRun> {
  return runJob(syncRunDeps(services, compose), jobId, options);
}
