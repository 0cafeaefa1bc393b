import { createServer } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkGraph } from '../../shared/graph/health';
import { recordingGateway, SandboxControl } from './sandbox';

let sb: SandboxControl;

beforeAll(async () => {
  sb = await SandboxControl.start();
});
afterAll(async () => {
  await sb?.close();
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('checkGraph', () => {
  it('is ok when Graph answers the probe', async () => {
    await sb.clean();
    const { graph } = recordingGateway(sb.url);
    const health = await checkGraph(graph);
    expect(health.ok).toBe(true);
    expect(health.latencyMs).toBeGreaterThanOrEqual(0);
    expect((await sb.stats()).byRoute['GET /users']).toBe(1);
  });

  it('reports what failed when Graph is unreachable', async () => {
    const { graph } = recordingGateway(`http://127.0.0.1:${await closedPort()}`, { maxRetries: 0 });
    const health = await checkGraph(graph);
    expect(health.ok).toBe(false);
    expect(health.detail).toBe('retriesExhausted 0 ECONNREFUSED');
  });

  it('reports Graph errors by status and code', async () => {
    await sb.faults([{ route: 'GET /users', kind: '503', times: 5 }]);
    const { graph } = recordingGateway(sb.url, { maxRetries: 1 });
    const health = await checkGraph(graph);
    expect(health).toMatchObject({ ok: false });
    expect(health.detail).toMatch(/^retriesExhausted 503/);
    await sb.clean();
  });
});
