/**
 * The app's gateway from validated settings. One per process: its limiter and token cache are shared by every run
 * (`graph.scoped({ deadline })` per run), because Graph's throttling budgets are per app and tenant.
 */

import type { TokenCredential } from '@azure/identity';

import type { AppConfig } from '../config';
import { createGraphTokenProvider } from './credentials';
import { createGraphGateway } from './gateway';
import type { Graph, GraphLogger } from './types';

export function createGraphFromConfig(config: AppConfig['graph'], credential?: TokenCredential, logger?: GraphLogger): Graph {
  return createGraphGateway({
    baseUrl: config.baseUrl,
    tokenProvider: createGraphTokenProvider(config, credential),
    maxConcurrency: config.maxConcurrency,
    maxRetries: config.maxRetries,
    maxBackoffMs: config.maxBackoffMs,
    ...(config.pacingTimeScale === undefined ? {} : { pacingTimeScale: config.pacingTimeScale }),
    ...(config.writeQuotaShare === undefined ? {} : { writeQuotaShare: config.writeQuotaShare }),
    ...(logger === undefined ? {} : { logger }),
  });
}
