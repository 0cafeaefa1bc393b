/**
 * Wires group sync's ports to the real adapters; the triggers, the timer and the bench share it. Every run gets its
 * own Graph scope, so the run record's `graphRequests` are exactly that run's requests.
 */

import { randomUUID } from 'node:crypto';

import type { AuditSink } from '../audit';
import { createGroupsAdapter, type GroupsAdapterOptions } from '../graph/groups';
import { SyncStore } from '../storage/syncStore';
import type { SyncRun } from '../sync/jobModel';
import type { JobDeps } from '../sync/jobs';
import { DEFAULT_RUN_SETTINGS, type RunDeps, runJob, type RunOptions, type RunSettings } from '../sync/runJob';
import type { Services } from './services';

export interface SyncComposeOptions {
  readonly settings?: Partial<RunSettings>;
  readonly adapter?: Partial<GroupsAdapterOptions>;
  /** Where member adds/removes are audited; the app's audit table by default. */
  readonly audit?: AuditSink;
}

export function syncJobDeps(services: Services, options: SyncComposeOptions = {}): JobDeps {
  const store = new SyncStore(services.storage);
  return {
    jobs: store,
    state: store,
    directory: createGroupsAdapter(services.graph, { baseUrl: services.config.graph.baseUrl, ...options.adapter }),
    now: () => new Date(),
    newId: randomUUID,
  };
}

export function syncRunDeps(services: Services, options: SyncComposeOptions = {}): RunDeps {
  const store = new SyncStore(services.storage);
  const groups = createGroupsAdapter(services.graph.scoped(), { baseUrl: services.config.graph.baseUrl, ...options.adapter });
  return {
    jobs: store,
    state: store,
    reader: groups,
    writer: groups,
    audit: options.audit ?? services.audit,
    now: () => new Date(),
    newId: randomUUID,
    settings: { ...DEFAULT_RUN_SETTINGS, largeTargetWarning: services.config.sync.largeTargetWarning, ...options.settings },
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
