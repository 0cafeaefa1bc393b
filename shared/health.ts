import { version } from '../package.json';
import { checkGraph } from './graph/health';
import type { Graph } from './graph/types';
import type { StorageClients } from './storage/clients';
import { checkStorage } from './storage/health';

export interface DependencyHealth {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly detail?: string;
}

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly version: string;
  readonly graph: DependencyHealth;
  readonly storage: DependencyHealth;
}

/** Real round trips to Graph and to each storage service, run in parallel. */
export async function checkHealth(graph: Graph, storage: StorageClients): Promise<HealthReport> {
  const [graphHealth, storageHealth] = await Promise.all([checkGraph(graph), checkStorage(storage)]);
  return {
    status: graphHealth.ok && storageHealth.ok ? 'ok' : 'degraded',
    version,
    graph: graphHealth,
    storage: storageHealth,
  };
}
