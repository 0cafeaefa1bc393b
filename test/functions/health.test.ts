import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';

import { healthHandler } from '../../functions/health';
import { startGraphSandbox } from '../../local/sandbox';
import { loadConfig } from '../../shared/config';
import { buildServices, setServices } from '../../shared/runtime/services';
import { useAzurite } from '../helpers/azurite';

const azurite = useAzurite();
const tenant = { tenant: { id: '00000000-0000-4000-8000-000000000001', displayName: 'T', defaultDomain: 't.onmicrosoft.com' } };

async function health(graphBaseUrl: string) {
  setServices(
    buildServices(
      loadConfig({
        AzureWebJobsStorage: azurite.current.connectionString,
        GRAPH_BASE_URL: graphBaseUrl,
        GRAPH_AUTH: 'static',
        GRAPH_STATIC_TOKEN: 'health-test',
        GRAPH_MAX_RETRIES: '1',
        GRAPH_MAX_BACKOFF_MS: '100',
      }),
    ),
  );
  const context = new InvocationContext({ invocationId: 'inv-health', functionName: 'health', logHandler: () => undefined });
  return healthHandler(new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }), context);
}

afterEach(() => setServices(undefined));

describe('GET /api/health', () => {
  it('answers 200 with status, version and real checks of Graph and storage', async () => {
    const sandbox = await startGraphSandbox({ tenant });
    try {
      const res = await health(sandbox.url);
      expect(res.status).toBe(200);
      expect(res.jsonBody).toMatchObject({
        status: 'ok',
        version: expect.stringMatching(/^\d+\.\d+\.\d+/) as string,
        graph: { ok: true },
        storage: { ok: true },
      });
      const stats = (await (await fetch(`${sandbox.url}/_sandbox/stats`)).json()) as { byRoute: Record<string, number> };
      expect(stats.byRoute['GET /users']).toBe(1);
    } finally {
      await sandbox.close();
    }
  });

  it('answers 503 degraded, naming the failing dependency, when Graph is unreachable', async () => {
    const sandbox = await startGraphSandbox({ tenant });
    const url = sandbox.url;
    await sandbox.close();
    const res = await health(url);
    expect(res.status).toBe(503);
    expect(res.jsonBody).toMatchObject({ status: 'degraded', graph: { ok: false }, storage: { ok: true } });
  });
});
