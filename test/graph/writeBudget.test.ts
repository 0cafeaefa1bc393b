import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type GraphSandbox, type SandboxStats, startGraphSandbox } from '../../local/sandbox/index';
import { createGraphGateway } from '../../shared/graph/gateway';
import type { BatchItem } from '../../shared/graph/types';
import { isQuotaWrite, parseLimitPercentage, WriteBudget, type WriteBudgetOptions } from '../../shared/graph/writeBudget';
import { SMALL_GROUP, testTenant } from './sandbox';

/**
 * Virtual clock: `sleep` registers a timer and `settle()` runs them in time order, advancing `now` to each. The tests
 * read the schedule the budget produces, never wall-clock time.
 */
function virtualClock() {
  const clock = { now: 0 };
  const timers: { at: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const timer = { at: clock.now + ms, resolve, reject };
      timers.push(timer);
      signal?.addEventListener('abort', () => {
        timers.splice(timers.indexOf(timer), 1);
        reject(new Error('aborted'));
      });
    });
  const flush = () => new Promise<void>((r) => setImmediate(r));
  /** Runs every timer (and whatever they schedule) until nothing is left. */
  const settle = async () => {
    await flush();
    while (timers.length > 0) {
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (!next) break;
      clock.now = Math.max(clock.now, next.at);
      next.resolve();
      await flush();
    }
  };
  return { clock, sleep, settle };
}

function budget(overrides: Partial<WriteBudgetOptions> = {}) {
  const v = virtualClock();
  const b = new WriteBudget({ share: 1, timeScale: 1, now: () => v.clock.now, sleep: v.sleep, ...overrides });
  return { ...v, budget: b };
}

describe('WriteBudget', () => {
  it("starts with Graph's full quota: 3,000 writes go at once, the next waits one refill interval (50 ms)", async () => {
    const { budget: b, clock, settle } = budget();
    for (let i = 0; i < 150; i++) await b.take(20);
    expect(clock.now).toBe(0);
    const next = b.take(1);
    await settle();
    await next;
    expect(clock.now).toBe(50);
  });

  it('paces concurrent workers in one process so no window ever holds more writes than the quota allows', async () => {
    const { budget: b, clock, settle } = budget();
    const grants: { at: number; writes: number }[] = [];
    // 8 workers, 40 batches of 20 writes each: 6,400 writes, 3,400 beyond the starting quota.
    const worker = async () => {
      for (let i = 0; i < 40; i++) {
        await b.take(20);
        grants.push({ at: clock.now, writes: 20 });
      }
    };
    const all = Promise.all(Array.from({ length: 8 }, worker));
    await settle();
    await all;
    let granted = 0;
    for (const g of grants) {
      granted += g.writes;
      // Graph's token bucket: 3,000 at the start plus 20 per second.
      expect(granted).toBeLessThanOrEqual(3000 + (g.at * 3000) / 150_000);
    }
    expect(granted).toBe(6400);
    // The last batch goes exactly when the quota allows it: 3,400 writes at 20/s.
    expect(clock.now).toBe(170_000);
  });

  it('divides the window by the time scale (the local sandbox compresses its windows the same way)', async () => {
    const { budget: b, clock, settle } = budget({ timeScale: 20 });
    const all = Promise.all(Array.from({ length: 200 }, () => b.take(20)));
    await settle();
    await all;
    // 4,000 writes: 1,000 beyond the quota at 20 x 20 writes per second.
    expect(clock.now).toBe(2_500);
  });

  it("keeps to this instance's share of the quota", async () => {
    const { budget: b, clock, settle } = budget({ share: 0.25 });
    expect(b.capacity).toBe(750);
    const all = Promise.all(Array.from({ length: 75 }, () => b.take(20)));
    await settle();
    await all;
    // 1,500 writes: 750 at once, 750 more at 5 per second.
    expect(clock.now).toBe(150_000);
  });

  it('refuses bad shares and time scales', () => {
    const v = virtualClock();
    const make =
      (share: number, timeScale = 1) =>
      () =>
        new WriteBudget({ share, timeScale, now: () => 0, sleep: v.sleep });
    expect(make(0)).toThrow(RangeError);
    expect(make(1.5)).toThrow(RangeError);
    expect(make(Number.NaN)).toThrow(RangeError);
    expect(make(1, 0)).toThrow(RangeError);
  });
});

describe('WriteBudget under signals from Graph', () => {
  it("lowers what is left to Graph's own figure when x-ms-throttle-limit-percentage reports use we did not make", () => {
    const { budget: b } = budget();
    b.observe({ 'x-ms-throttle-limit-percentage': '0.95' });
    expect(b.available).toBeCloseTo(150, 6);
    // Our own figure wins when it is lower already; a malformed header changes nothing.
    b.observe({ 'x-ms-throttle-limit-percentage': '0.85' });
    b.observe({ 'x-ms-throttle-limit-percentage': 'high' });
    expect(b.available).toBeCloseTo(150, 6);
    expect(b.rate).toBe(1);
  });

  it('slows its rate when Graph reports the app over its limit (percentage above 1), then recovers', async () => {
    const { budget: b, clock } = budget();
    b.observe({ 'x-ms-throttle-limit-percentage': '1.2' });
    expect(b.available).toBeCloseTo(-600, 6);
    expect(b.rate).toBe(0.5);
    clock.now += 15_000 * 5;
    expect(b.rate).toBe(1);
  });

  it('after a 429 on a write sends nothing until Retry-After has passed and halves its rate once per burst', async () => {
    const { budget: b, clock, settle } = budget();
    await b.take(100);
    b.observe({ 'retry-after': '2' }, true, 2_000);
    b.observe({}, true, 1_000);
    expect(b.rate).toBe(0.5);
    const next = b.take(1);
    await settle();
    await next;
    expect(clock.now).toBe(2_000);
    // Reads (no writes) are never held.
    await b.take(0);
    expect(clock.now).toBe(2_000);
  });

  it('returns the writes of a caller whose wait is cancelled, and rejects at once when already cancelled', async () => {
    const { budget: b, settle } = budget();
    await b.take(3000);
    const controller = new AbortController();
    const waiting = b.take(20, controller.signal);
    controller.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('aborted');
    await settle();
    expect(b.available).toBeCloseTo(0, 6);
    await expect(b.take(1, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});

describe('parseLimitPercentage', () => {
  it('reads the fraction Graph sends and ignores anything else', () => {
    expect(parseLimitPercentage('0.8')).toBe(0.8);
    expect(parseLimitPercentage(' 1.25 ')).toBe(1.25);
    expect(parseLimitPercentage(undefined)).toBeUndefined();
    expect(parseLimitPercentage('-1')).toBeUndefined();
    expect(parseLimitPercentage('80%')).toBeUndefined();
    expect(parseLimitPercentage('1e3')).toBeUndefined();
    expect(parseLimitPercentage('999')).toBeUndefined();
  });
});

describe('isQuotaWrite', () => {
  it('counts POST, PATCH, PUT and DELETE on identity paths', () => {
    expect(isQuotaWrite('POST', '/users/u1/authentication/phoneMethods')).toBe(true);
    expect(isQuotaWrite('PATCH', '/groups/g1')).toBe(true);
    expect(isQuotaWrite('DELETE', '/groups/g1/members/u1/$ref')).toBe(true);
    expect(isQuotaWrite('post', '/users/u1/revokeSignInSessions')).toBe(true);
  });

  it('does not count reads, read actions, $batch envelopes or services with their own buckets', () => {
    expect(isQuotaWrite('GET', '/users')).toBe(false);
    expect(isQuotaWrite('POST', '/directoryObjects/getByIds')).toBe(false);
    expect(isQuotaWrite('POST', '/users/u1/checkMemberGroups')).toBe(false);
    expect(isQuotaWrite('POST', '/$batch')).toBe(false);
    expect(isQuotaWrite('POST', '/identityProtection/riskyUsers/dismiss')).toBe(false);
    expect(isQuotaWrite('PATCH', '/identity/conditionalAccess/policies/p1')).toBe(false);
  });
});

describe('gateway write budget against the sandbox (3,000 writes per 150 s per app and tenant)', () => {
  // The sandbox divides its windows by 200 and so does the gateway's budget: one clock, a 750 ms write window.
  const SCALE = 200;
  let sandbox: GraphSandbox;

  beforeAll(async () => {
    sandbox = await startGraphSandbox({
      tenant: testTenant(),
      knobs: { timeScale: SCALE, latencyMs: { min: 0, max: 40 }, throttling: { enabled: true, tenantSize: 'auto' } },
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
  const patches = (n: number, tag: string): BatchItem[] =>
    Array.from({ length: n }, (_, i) => ({
      method: 'PATCH' as const,
      path: `/groups/${SMALL_GROUP}`,
      body: { description: `${tag} ${i}` },
    }));

  it('paces 4,000 writes (1,000 above the quota) so Graph refuses none: 200 calls, 0 throttled items', async () => {
    await fetch(`${sandbox.url}/_sandbox/stats/reset`, { method: 'POST' });
    const graph = gateway('budgeted-app');
    const results = await graph.batch(patches(4000, 'paced'));
    expect(results.filter((r) => r.status === 204)).toHaveLength(4000);
    expect(graph.counters).toMatchObject({ httpCalls: 200, subRequests: 4000, throttled: 0, retries: 0 });
    expect(await stats()).toMatchObject({ requests: 200, subRequests: 4000, throttled: 0 });
  });

  it('429s on writes caused by others (another instance, another tool): the items wait, are sent again, and all land', async () => {
    await fetch(`${sandbox.url}/_sandbox/stats/reset`, { method: 'POST' });
    // What Graph answers when someone else spent the app's quota: the write items of a $batch refused with Retry-After.
    const fault = { route: 'PATCH /groups/{id}', kind: '429', times: 30, retryAfterSeconds: 0.05, scope: 'batchItem' };
    await fetch(`${sandbox.url}/_sandbox/knobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ faults: [fault] }),
    });
    const graph = gateway('budgeted-app-2');
    const results = await graph.batch(patches(400, 'after-429'));
    expect(results.filter((r) => r.status === 204)).toHaveLength(400);
    expect(graph.counters).toMatchObject({ throttled: 30, retries: 30, subRequests: 430 });
    expect(await stats()).toMatchObject({ subRequests: 430, throttled: 30 });
  });
});
