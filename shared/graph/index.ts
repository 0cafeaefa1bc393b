/**
 * Public API of the Graph gateway. Typical use:
 *
 *   const graph = createGraphFromConfig(config.graph, undefined, logger);   // once per process
 *   const run = graph.scoped({ deadline: Date.now() + 9 * 60_000 });        // once per run: own counters + deadline
 *   for await (const page of run.pages<{ id: string }>({ method: 'GET', path: graphPath`/groups/${id}/members`,
 *     query: { $top: '999', $select: 'id' } })) { ... }
 *   const results = await run.batch(items);                                  // 20 per $batch, results in input order
 *   record(run.counters);                                                    // httpCalls, subRequests, throttled, retries
 */
export type { BatchWireRequest, BatchWireResponse } from './batch';
export { MAX_BATCH_ITEMS } from './batch';
export { AdaptiveLimiter } from './concurrency';
export type { GraphTokenProvider } from './credentials';
export { createGraphTokenProvider, graphScope, staticTokenProvider, tokenProviderFromCredential } from './credentials';
export type { GraphErrorBody, GraphErrorInit, GraphErrorKind } from './errors';
export { GraphError, isGraphError, parseGraphErrorBody } from './errors';
export { createGraphFromConfig } from './fromConfig';
export type { GraphGatewayOptions, Sleep } from './gateway';
export { createGraphGateway, defaultSleep } from './gateway';
export type { GraphHealth } from './health';
export { checkGraph } from './health';
export type {
  BatchItem,
  BatchItemResult,
  Graph,
  GraphCounters,
  GraphLogger,
  GraphMethod,
  GraphPage,
  GraphRequest,
  GraphResponse,
  GraphScopeOptions,
} from './types';
export { graphPath } from './types';
