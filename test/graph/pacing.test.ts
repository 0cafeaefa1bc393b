import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type GraphSandbox, type SandboxStats, startGraphSandbox } from '../../local/sandbox/index';
import { createGraphGateway } from '../../shared/graph/gateway';
import { IDENTITY_PROTECTION_PACE, paceClassFor, Pacer, SIGN_IN_LOGS_PACE } from '../../shared/graph/pacing';
import { testTenant, userId } from './sandbox';

describe('paceClassFor', () => {
  it('puts identity protection and Conditional Access in the 1/s bucket and sign-in logs in 5/10 s', () => {
    expect(paceClassFor('/identityProtection/riskyUsers')).toBe(IDENTITY_PROTECTION_PACE);
    expect(paceClassFor('/identityProtection/riskDetections')).toBe(IDENTITY_PROTECTION_PACE);
    expect(paceClassFor('/identity/conditionalAccess/policies')).toBe(IDENTITY_PROTECTION_PACE);
    expect(paceClassFor('/auditLogs/signIns')).toBe(SIGN_IN_LOGS_PACE);
    expect(paceClassFor('/users')).toBeUndefined();
    expect(paceClassFor('/$batch')).toBeUndefined();
  });
});

describe('Pacer', () => {
  /** Virtual clock: sleeping advances it, so the test reads the schedule, never wall-clock time. */
  function virtual(): { pacer: Pacer; starts: number[]; clock: { now: number } } {
    const clock = { now: 0 };
    const pacer = new Pacer(
      1,
      () => clock.now,
      async (ms) => {
        clock.now += ms;
      },
    );
    return { pacer, starts: [], clock };
  }

  it('starts each request one interval after the previous one came back, one at a time', async () => {
    const { pacer, starts, clock } = virtual();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        const t = await pacer.acquire(IDENTITY_PROTECTION_PACE);
        starts.push(clock.now);
        clock.now += 100; // the request takes 100 ms
        t.done('ok');
      }),
    );
    expect(starts).toEqual([0, 1100, 2200, 3300]);
  });

  it('cools down for every caller after a 429 from other traffic, doubling per consecutive 429, and relaxes on success', async () => {
    const { pacer, clock } = virtual();
    const run = async (outcome: 'ok' | 'throttled'): Promise<number> => {
      const t = await pacer.acquire(SIGN_IN_LOGS_PACE);
      const at = clock.now;
      t.done(outcome);
      return at;
    };
    const a = await run('throttled');
    const b = await run('throttled');
    const c = await run('ok');
    const d = await run('ok');
    // Interval 2 s; cooldowns 2 x 2 s then 2 x 4 s; after a success the plain interval again.
    expect([b - a, c - b, d - c]).toEqual([6_000, 10_000, 2_000]);
  });
});

describe('gateway pacing against the sandbox (1 request/s per tenant, 429 without Retry-After)', () => {
  const SCALE = 100;
  let sandbox: GraphSandbox;
  const riskyUsers = Array.from({ length: 30 }, (_, i) => ({
    id: userId(i),
    isDeleted: false,
    isProcessing: false,
    riskLastUpdatedDateTime: '2026-11-20T10:00:00Z',
    riskLevel: 'high',
    riskState: 'atRisk',
    riskDetail: 'none',
    userDisplayName: `User ${i}`,
    userPrincipalName: `user${i}@gateway.example`,
  }));

  beforeAll(async () => {
    sandbox = await startGraphSandbox({
      tenant: { ...testTenant(), riskyUsers },
      knobs: { timeScale: SCALE, latencyMs: { min: 0, max: 300 } },
    });
  });
  afterAll(() => sandbox.close());

  const stats = async (): Promise<SandboxStats> => (await (await fetch(`${sandbox.url}/_sandbox/stats`)).json()) as SandboxStats;
  const gateway = (token: string) =>
    createGraphGateway({
      baseUrl: sandbox.url,
      tokenProvider: { getToken: () => Promise.resolve(token) },
      maxConcurrency: 8,
      maxRetries: 8,
      maxBackoffMs: 2_000,
      pacingTimeScale: SCALE,
    });

  it('many concurrent reads with variable latency: our own pacing causes no 429', async () => {
    await fetch(`${sandbox.url}/_sandbox/stats/reset`, { method: 'POST' });
    const graph = gateway('paced-app');
    const results = await Promise.all(
      riskyUsers.map((r) => graph.request<{ id: string }>({ method: 'GET', path: `/identityProtection/riskyUsers/${r.id}` })),
    );
    expect(results.map((r) => r.id)).toEqual(riskyUsers.map((r) => r.id));
    expect(graph.counters).toMatchObject({ httpCalls: 30, throttled: 0, retries: 0 });
    expect((await stats()).throttled).toBe(0);
  });

  it('another app using the tenant budget causes 429s; the paced client backs off and every request succeeds', async () => {
    const ours = gateway('paced-app-2');
    // Another app shares the tenant's 1/s budget and fires bursts without pacing.
    const noise = Array.from({ length: 20 }, () =>
      fetch(`${sandbox.url}/v1.0/identityProtection/riskyUsers?$top=1`, { headers: { authorization: 'Bearer noisy-app' } }).then(
        (r) => r.text(),
      ),
    );
    const results = await Promise.all(
      riskyUsers
        .slice(0, 10)
        .map((r) => ours.request<{ id: string }>({ method: 'GET', path: `/identityProtection/riskyUsers/${r.id}` })),
    );
    await Promise.all(noise);
    expect(results).toHaveLength(10);
    // Every 429 we met (from the other app's use of the budget) was retried, none lost.
    expect(ours.counters.retries).toBe(ours.counters.throttled);
  });
});
