import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadConfig } from '../../shared/config';
import { createGraphFromConfig } from '../../shared/graph/fromConfig';
import { SandboxControl } from './sandbox';

let sb: SandboxControl;

beforeAll(async () => {
  sb = await SandboxControl.start();
});
afterAll(async () => {
  await sb?.close();
});

describe('createGraphFromConfig', () => {
  it('builds a working gateway from the sandbox app settings', async () => {
    const config = loadConfig({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      GRAPH_BASE_URL: `${sb.url}/`,
      GRAPH_AUTH: 'static',
      GRAPH_STATIC_TOKEN: 'from-config',
    });
    const graph = createGraphFromConfig(config.graph);
    const body = await graph.request<{ value: { id: string }[] }>({
      method: 'GET',
      path: '/users',
      query: { $top: '3', $select: 'id' },
    });
    expect(body.value).toHaveLength(3);
    expect(graph.counters.httpCalls).toBe(1);
  });

  it('uses an injected credential for the configured cloud', async () => {
    const scopes: string[] = [];
    const config = loadConfig({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      GRAPH_BASE_URL: sb.url,
      GRAPH_AUTH: 'default',
    });
    const graph = createGraphFromConfig(config.graph, {
      getToken: async (scope) => {
        scopes.push(String(scope));
        return { token: 'injected', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    });
    await graph.request({ method: 'GET', path: '/users', query: { $top: '1' } });
    await graph.request({ method: 'GET', path: '/users', query: { $top: '1' } });
    expect(scopes).toEqual([`${sb.url}/.default`]);
  });
});
