import { version } from '../package.json';
import { checkGraph } from './graph/health';
import type { Graph } from './graph/types';
import type { RiskHealth } from './risk/health';
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
  readonly risk?: RiskHealth;
}

/** Real round trips to Graph and to each storage service, run in parallel. */
export async function checkHealth(
  graph: Graph,
  storage: StorageClients,
  risk?: () => Promise<RiskHealth>,
): Promise<HealthReport> {
  const [graphHealth, storageHealth, riskHealth] = await Promise.all([
    checkGraph(graph),
    checkStorage(storage),
    risk?.().catch((e: unknown): RiskHealth => ({
      ok: false,
      entraIdP2: 'unknown',
      missingPermissions: [],
      ticketProvider: { name: 'unknown', ok: false },
      detail: e instanceof Error ? e.message : String(e),
    })),
  ]);
  return {
    status: graphHealth.ok && storageHealth.ok && (riskHealth?.ok ?? true) ? 'ok' : 'degraded',
    version,
    graph: graphHealth,
    storage: storageHealth,
    ...(riskHealth ? { risk: riskHealth } : {}),
  };
}
