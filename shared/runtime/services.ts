/**
 * The composition root: config, the Graph gateway, storage and the audit log, built once per process from the app
 * settings. Triggers reach jobs' dependencies only through here.
 */

import type { TokenCredential } from '@azure/identity';

import { type AppConfig, loadConfig } from '../config';
import { createGraphFromConfig } from '../graph';
import type { Graph } from '../graph/types';
import { createLogger } from '../log';
import { AUDIT_TABLE, AuditTable } from '../storage/auditTable';
import { createStorageClients, type StorageClients } from '../storage/clients';

export interface Services {
  readonly config: AppConfig;
  readonly graph: Graph;
  readonly storage: StorageClients;
  readonly audit: AuditTable;
}

export function buildServices(
  config: AppConfig,
  options: { graphCredential?: TokenCredential; storageCredential?: TokenCredential } = {},
): Services {
  const storage = createStorageClients(config.storage, options.storageCredential);
  return {
    config,
    // Process-wide Graph lines (retries, failures) go to stdout; runs and imports scope the gateway to their own
    // invocation logger, so their lines reach the Functions logs with the run id.
    graph: createGraphFromConfig(config.graph, options.graphCredential, createLogger(config.logLevel)),
    storage,
    audit: new AuditTable(() => storage.table(AUDIT_TABLE)),
  };
}

let current: Services | undefined;

export function getServices(): Services {
  current ??= buildServices(loadConfig(process.env));
  return current;
}

/** For tests and hosts that build services themselves; `undefined` makes the next call rebuild from process.env. */
export function setServices(services: Services | undefined): void {
  current = services;
}
