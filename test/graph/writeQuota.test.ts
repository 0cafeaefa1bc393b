import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type GraphSandbox, type SandboxStats, startGraphSandbox } from '../../local/sandbox/index';
import { createGraphGateway } from '../../shared/graph/gateway';
import { graphPath } from '../../shared/graph/types';
import { GRAPH_WRITE_QUOTA, WriteQuota } from '../../shared/graph/writeQuota';
import { SMALL_GROUP, testTenant, userId } from './sandbox';

describe('WriteQuota', () => {
  /** Virtual clock: sleeping advances it, so the test reads the schedule, never wall-clock time. */
  function virtual(capacity: number) {
    const clock = { now: 0 };
    const sleeps: number[] = [];
    const quota = new WriteQuota(
      1,
      () => clock.now,
      async (ms) => {
        sleeps.push(ms);
        clock.now += ms;
      },
      capacity,
    );
    return { quota, clock, sleeps };
  }

  it("lets a burst up to the capacity through at once, then refills at Graph's rate", async () => {
    const { quota, clock, sleeps } = virtual(GRAPH_WRITE_QUOTA.writes);
    for (let i = 0; i < GRAPH_WRITE_QUOTA.writes / 20; i++) await quota.take(20);
    expect(sleeps).toEqual([]);
    await quota.take(20);
    // 20 writes at 3,000 per 150 s = 1 s.
    expect(clock.now).toBe(1000);
  });

  it('serves waiting callers in order, each after its own tokens refilled', async () => {
    const { quota, clock, sleeps } = virtual(10);
    await quota.take(10);
    const order: string[] = [];
    await Promise.all(
      ['a', 'b', 'c'].map(async (name) => {
        await quota.take(5);
        order.push(name);
      }),
    );
    const msPerWrite = GRAPH_WRITE_QUOTA.windowMs / 10;
    expect(order).toEqual(['a', 'b', 'c']);
    expect(sleeps).toEqual([5 * msPerWrite, 5 * msPerWrite, 5 * msPerWrite]);
    expect(clock.now).toBe(15 * msPerWrite);
  });

  it('takes nothing for reads and refuses a cancelled wait without taking tokens', async () => {
    const { quota, sleeps } = virtual(5);
    await quota.take(0);
    await quota.take(5);
    const cancel = new AbortController();
    cancel.abort(new Error('run stopped'));
    await expect(quota.take(5, cancel.signal)).rejects.toThrow();
    expect(sleeps).toEqual([]);
  });

  it('rejects a time scale that is not positive', () => {
    expect(() => new WriteQuota(0, Date.now, async () => undefined)).toThrow(RangeError);
  });
});

describe('gateway write pacing against the sandbox write quota', () => {
  let sandbox: GraphSandbox;
  // 3,000 writes per 150 s compressed 1,000x: a 150 ms window, so the test needs more than one window of writes.
  const SCALE = 1000;

  beforeAll(async () => {
    sandbox = await startGraphSandbox({
      tenant: testTenant(),
      knobs: { timeScale: SCALE, throttling: { enabled: true, tenantSize: 'L' } },
    });
  });
  afterAll(() => sandbox.close());

  it('4,000 writes in $batch (over the 3,000 burst) are paced: none is refused with 429', async () => {
    const graph = createGraphGateway({
      baseUrl: sandbox.url,
      tokenProvider: { getToken: async () => 'write-pacing-app' },
      maxConcurrency: 8,
      maxRetries: 3,
      maxBackoffMs: 1000,
      pacingTimeScale: SCALE,
    });
    await fetch(`${sandbox.url}/_sandbox/stats/reset`, { method: 'POST' });
    // Add and remove the same 2,000 members: 4,000 writes, each a $batch item.
    const ids = Array.from({ length: 2000 }, (_, i) => userId(100 + i));
    const ref = (id: string) => ({ '@odata.id': `${sandbox.url}/v1.0/directoryObjects/${id}` });
    const adds = await graph.batch(
      ids.map((id) => ({ method: 'POST' as const, path: graphPath`/groups/${SMALL_GROUP}/members/$ref`, body: ref(id) })),
    );
    const removes = await graph.batch(
      ids.map((id) => ({ method: 'DELETE' as const, path: graphPath`/groups/${SMALL_GROUP}/members/${id}/$ref` })),
    );
    expect([...adds, ...removes].every((r) => r.status === 204)).toBe(true);
    const stats = (await (await fetch(`${sandbox.url}/_sandbox/stats`)).json()) as SandboxStats;
    expect(stats.throttled).toBe(0);
    expect(graph.counters.throttled).toBe(0);
    expect(stats.subRequests).toBe(4000);
  });
});
