import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { backoffDelay, BASE_BACKOFF_MS, connectionErrorCode, parseRetryAfter, retryDelay } from '../../shared/graph/retry';

const NOW = Date.parse('2026-11-25T12:00:00Z');

describe('parseRetryAfter', () => {
  it('reads whole seconds', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7000);
  });

  it('reads the fractional seconds Graph sends', () => {
    expect(parseRetryAfter('2.128', NOW)).toBe(2128);
    expect(parseRetryAfter(' 0.5 ', NOW)).toBe(500);
  });

  it('reads an HTTP-date as the time left until then', () => {
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', NOW)).toBe(30_000);
  });

  it('treats an HTTP-date in the past as no wait', () => {
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:59:00 GMT', NOW)).toBe(0);
  });

  it('ignores absent, empty, negative and malformed values', () => {
    for (const v of [undefined, null, '', '  ', '-1', '5s', 'soon', '1e3', '+3']) expect(parseRetryAfter(v, NOW)).toBeUndefined();
  });

  it('never returns a negative or non-finite delay for any input', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const v = parseRetryAfter(s, NOW);
        return v === undefined || (Number.isFinite(v) && v >= 0);
      }),
    );
  });
});

describe('backoffDelay', () => {
  it('stays within [0, cap] for any attempt, cap and random value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.double({ min: -1, max: 2, noNaN: true }),
        (attempt, cap, r) => {
          const d = backoffDelay(attempt, cap, () => r);
          return d >= 0 && d <= cap;
        },
      ),
    );
  });

  it('waits at least half of the exponential step, so a retry is never immediate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, cap, r) => {
          const step = Math.min(cap, BASE_BACKOFF_MS * 2 ** Math.min(attempt, 30));
          return backoffDelay(attempt, cap, () => r) >= Math.floor(step / 2);
        },
      ),
    );
  });

  it('doubles the step per attempt until the cap', () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 5000, top))).toEqual([500, 1000, 2000, 4000, 5000]);
    const bottom = () => 0;
    expect([0, 1, 2].map((a) => backoffDelay(a, 5000, bottom))).toEqual([250, 500, 1000]);
  });
});

describe('retryDelay', () => {
  it('honours Retry-After exactly when it is under the cap', () => {
    expect(retryDelay(3, 2128, 60_000, () => 0.5)).toBe(2128);
  });

  it('bounds a huge Retry-After by the cap', () => {
    expect(retryDelay(0, 3_600_000, 60_000, () => 0.5)).toBe(60_000);
  });

  it('falls back to jittered backoff without Retry-After', () => {
    expect(retryDelay(1, undefined, 60_000, () => 0)).toBe(500);
  });
});

describe('connectionErrorCode', () => {
  it('finds the socket code under fetch failed', () => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
    expect(connectionErrorCode(err)).toBe('ECONNRESET');
  });

  it('recognises undici "other side closed" and a bare socket hang up', () => {
    const closed = new TypeError('fetch failed', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    expect(connectionErrorCode(closed)).toBe('UND_ERR_SOCKET');
    expect(connectionErrorCode(new Error('socket hang up'))).toBe('ECONNRESET');
  });

  it('recognises a body read cut short by a reset', () => {
    const terminated = new TypeError('terminated', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    expect(connectionErrorCode(terminated)).toBe('UND_ERR_SOCKET');
  });

  it('does not treat bugs or aborts as connection failures', () => {
    expect(connectionErrorCode(new Error('boom'))).toBeUndefined();
    expect(connectionErrorCode(new TypeError('Cannot read properties of undefined'))).toBeUndefined();
    expect(connectionErrorCode(new DOMException('aborted', 'AbortError'))).toBeUndefined();
    expect(connectionErrorCode('ECONNRESET')).toBeUndefined();
  });
});
