import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';

import { useStack } from '../helpers/stack';

describe('startStack', () => {
  const stack = useStack({ env: { PHONE_DEFAULT_REGION: 'GB' } });

  it('serves the app through the local host with storage on Azurite and Graph on the sandbox', async () => {
    const res = await fetch(`${stack.current.apiUrl}/api/health`);
    const body = (await res.json()) as { status: string; graph: { ok: boolean }; storage: { ok: boolean } };
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', graph: { ok: true }, storage: { ok: true } });
    const stats = (await (await fetch(`${stack.current.sandboxUrl}/_sandbox/stats`)).json()) as { requests: number };
    expect(stats.requests).toBeGreaterThan(0);
  });

  it('points the app settings at the stack and applies the given settings', () => {
    expect(process.env.AzureWebJobsStorage).toBe(stack.current.connectionString);
    expect(process.env.GRAPH_BASE_URL).toBe(stack.current.sandboxUrl);
    expect(process.env.GRAPH_AUTH).toBe('static');
    expect(process.env.PHONE_DEFAULT_REGION).toBe('GB');
  });

  it('gives the tests a working storage connection string', async () => {
    const table = TableClient.fromConnectionString(stack.current.connectionString, 'stackprobe', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    await table.upsertEntity({ partitionKey: 'p', rowKey: 'r' });
    expect((await table.getEntity('p', 'r')).rowKey).toBe('r');
  });
});
