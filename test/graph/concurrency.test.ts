import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { AdaptiveLimiter, type Permit } from '../../shared/graph/concurrency';

describe('AdaptiveLimiter', () => {
  it('starts at the maximum', () => {
    expect(new AdaptiveLimiter(8).limit).toBe(8);
  });

  it('rejects a maximum below one', () => {
    expect(() => new AdaptiveLimiter(0)).toThrow(RangeError);
    expect(() => new AdaptiveLimiter(1.5)).toThrow(RangeError);
  });

  it('halves the limit on a 429, never below one', () => {
    const l = new AdaptiveLimiter(9);
    const halve = () => l.throttled(l.epoch);
    halve();
    expect(l.limit).toBe(4);
    halve();
    halve();
    expect(l.limit).toBe(1);
    halve();
    expect(l.limit).toBe(1);
  });

  it('halves once for a burst of 429s from requests sent in the same epoch', async () => {
    const l = new AdaptiveLimiter(8);
    const permits = await Promise.all(Array.from({ length: 8 }, () => l.acquire()));
    for (const p of permits) l.throttled(p.epoch);
    expect(l.limit).toBe(4);
  });

  it('grows by one after a full window of consecutive successes', () => {
    const l = new AdaptiveLimiter(8);
    l.throttled(l.epoch); // 4
    for (let i = 0; i < 3; i++) l.succeeded();
    expect(l.limit).toBe(4);
    l.succeeded();
    expect(l.limit).toBe(5);
  });

  it('restarts the success run after a 429', () => {
    const l = new AdaptiveLimiter(8);
    l.throttled(l.epoch); // 4
    for (let i = 0; i < 3; i++) l.succeeded();
    l.throttled(0); // stale: no decrease, but the run of successes is broken
    expect(l.limit).toBe(4);
    for (let i = 0; i < 3; i++) l.succeeded();
    expect(l.limit).toBe(4);
  });

  it('keeps the limit within [1, max] under any sequence of outcomes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.constantFrom('ok', '429', 'stale429'), { maxLength: 500 }),
        (max, ops) => {
          const l = new AdaptiveLimiter(max);
          let expected = max;
          for (const op of ops) {
            if (op === 'ok') l.succeeded();
            else if (op === '429') {
              l.throttled(l.epoch);
              expected = Math.max(1, Math.floor(expected / 2));
              if (l.limit !== expected) return false;
            } else l.throttled(l.epoch - 1);
            expected = l.limit;
            if (l.limit < 1 || l.limit > max) return false;
          }
          return true;
        },
      ),
    );
  });

  it('never has more requests in flight than the limit, and serves waiters in order', async () => {
    const l = new AdaptiveLimiter(3);
    const order: number[] = [];
    const held: Permit[] = [];
    const waiters = Array.from({ length: 6 }, (_, i) =>
      l.acquire().then((p) => {
        order.push(i);
        held.push(p);
        expect(l.inFlight).toBeLessThanOrEqual(l.limit);
      }),
    );
    await Promise.resolve();
    expect(l.inFlight).toBe(3);
    expect(l.queued).toBe(3);
    l.throttled(l.epoch); // limit 1: releases must not admit waiters until in-flight drops below it
    held.splice(0).forEach((p) => p.release());
    await Promise.resolve();
    expect(l.inFlight).toBe(1);
    while (order.length < 6) {
      held.splice(0).forEach((p) => p.release());
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('ignores a second release of the same permit', async () => {
    const l = new AdaptiveLimiter(2);
    const p = await l.acquire();
    await l.acquire();
    p.release();
    p.release();
    expect(l.inFlight).toBe(1);
  });

  it('drops a queued waiter whose signal aborts', async () => {
    const l = new AdaptiveLimiter(1);
    const p = await l.acquire();
    const ac = new AbortController();
    const waiting = l.acquire(ac.signal);
    ac.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    expect(l.queued).toBe(0);
    p.release();
    expect(l.inFlight).toBe(0);
  });
});
