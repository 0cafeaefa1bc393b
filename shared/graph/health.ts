import { GraphError } from './errors';
import type { Graph } from './types';

export interface GraphHealth {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly detail: string;
}

/** Health probes must answer quickly; a throttled or dead Graph is reported, not waited out. */
export const HEALTH_TIMEOUT_MS = 10_000;

/**
 * A cheap real call proving that the token, the base URL and the app's read permission work:
 * `GET /users?$top=1&$select=id` (1 RU; `/organization` would do too, but the sandbox does not serve it).
 */
export async function checkGraph(graph: Graph, timeoutMs = HEALTH_TIMEOUT_MS): Promise<GraphHealth> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    await graph
      .scoped({ deadline: Date.now() + timeoutMs })
      .request({ method: 'GET', path: '/users', query: { $top: '1', $select: 'id' } });
    return { ok: true, latencyMs: elapsed(), detail: 'GET /users answered' };
  } catch (e) {
    const detail =
      e instanceof GraphError
        ? [e.kind, e.status, e.code].filter((p) => p !== undefined && p !== '').join(' ')
        : e instanceof Error
          ? e.message
          : 'unknown error';
    return { ok: false, latencyMs: elapsed(), detail };
  }
}
