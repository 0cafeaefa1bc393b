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
  GraphMethod,
  GraphPage,
  GraphRequest,
  GraphResponse,
  GraphScopeOptions,
} from './types';
export { graphPath } from './types';
