/**
 * Throttling shaped like Graph's published limits (https://learn.microsoft.com/graph/throttling-limits):
 * - identity & access: token bucket of resource units per app per tenant per 10 s (S 3,500 / M 5,000 / L 8,000 by user
 *   count) plus 3,000 writes per 150 s per app per tenant; `x-ms-resource-unit` on every response;
 * - identity protection & conditional access: 1 request per second per tenant (all apps), 429 without Retry-After;
 * - reports (sign-in logs): 5 requests per 10 s per app per tenant.
 * Windows are divided by knobs.timeScale, so Retry-After values are in (scaled) real seconds.
 * A served identity request also carries `x-ms-throttle-limit-percentage` when the app has used more than 0.8 of a
 * limit (the identity & access section of that page: "Returned only when the application consumed more than 0.8 of
 * its limit. The value ranges from 0.8 to 1.8"); the sandbox reports the fuller of the two app+tenant buckets.
 */
import type { SandboxKnobs } from './knobs';

export type ThrottleClass = 'identity' | 'protection' | 'reports' | 'none';

export type TenantSize = 'S' | 'M' | 'L';

export const RU_LIMITS: Record<TenantSize, number> = { S: 3_500, M: 5_000, L: 8_000 };
const RU_WINDOW_MS = 10_000;
const WRITE_LIMIT = 3_000;
const WRITE_WINDOW_MS = 150_000;
const REPORTS_LIMIT = 5;
const REPORTS_WINDOW_MS = 10_000;
const PROTECTION_LIMIT = 1;
const PROTECTION_WINDOW_MS = 1_000;

export function tenantSizeFor(userCount: number): TenantSize {
  if (userCount < 50) return 'S';
  if (userCount <= 500) return 'M';
  return 'L';
}

/** Token bucket whose capacity refills linearly over `windowMs`. */
class Bucket {
  private tokens: number;
  private last: number;
  constructor(capacity: number, now: number) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Takes `cost` tokens, or returns the ms until they will be available. */
  take(cost: number, capacity: number, windowMs: number, now: number): number {
    const rate = capacity / windowMs;
    this.tokens = Math.min(capacity, this.tokens + (now - this.last) * rate);
    this.last = now;
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return 0;
    }
    return (Math.min(cost, capacity) - this.tokens) / rate;
  }

  /** Fraction of the capacity in use (1 - tokens left / capacity) as of the last take. */
  used(capacity: number): number {
    return 1 - this.tokens / capacity;
  }

  /** Whether `cost` tokens are available now, without taking them. */
  has(cost: number, capacity: number, windowMs: number, now: number): number {
    const rate = capacity / windowMs;
    const tokens = Math.min(capacity, this.tokens + (now - this.last) * rate);
    return tokens >= cost ? 0 : (Math.min(cost, capacity) - tokens) / rate;
  }
}

export interface ThrottleVerdict {
  readonly ok: boolean;
  /** Seconds to send as Retry-After; undefined = send none. */
  readonly retryAfterSeconds?: number;
  readonly headers: Record<string, string>;
}

export interface ChargeInput {
  readonly cls: ThrottleClass;
  readonly appId: string;
  readonly tenantId: string;
  readonly userCount: number;
  readonly ru: number;
  readonly write: boolean;
}

export class Throttler {
  private buckets = new Map<string, Bucket>();

  constructor(private readonly knobs: () => SandboxKnobs) {}

  reset(): void {
    this.buckets = new Map();
  }

  private bucket(key: string, capacity: number, now: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = new Bucket(capacity, now);
      this.buckets.set(key, b);
    }
    return b;
  }

  charge(input: ChargeInput): ThrottleVerdict {
    const knobs = this.knobs();
    const headers: Record<string, string> = {};
    if (input.cls === 'identity') headers['x-ms-resource-unit'] = String(input.ru);
    if (!knobs.throttling.enabled || input.cls === 'none') return { ok: true, headers };
    const now = Date.now();
    const scale = knobs.timeScale;
    switch (input.cls) {
      case 'identity': {
        const size = knobs.throttling.tenantSize === 'auto' ? tenantSizeFor(input.userCount) : knobs.throttling.tenantSize;
        const ruCap = RU_LIMITS[size];
        const ruWindow = RU_WINDOW_MS / scale;
        const writeWindow = WRITE_WINDOW_MS / scale;
        const ruBucket = this.bucket(`ru:${input.appId}`, ruCap, now);
        const writeBucket = this.bucket(`w:${input.appId}`, WRITE_LIMIT, now);
        // Check both before taking either, so a refused write does not burn resource units.
        const ruWait = ruBucket.has(input.ru, ruCap, ruWindow, now);
        const writeWait = input.write ? writeBucket.has(1, WRITE_LIMIT, writeWindow, now) : 0;
        if (ruWait > 0 || writeWait > 0) {
          const writeLimited = writeWait >= ruWait;
          return {
            ok: false,
            retryAfterSeconds: Math.max(ruWait, writeWait) / 1000,
            headers: {
              ...headers,
              'x-ms-throttle-scope': `Tenant_Application/${writeLimited ? 'Write' : 'ReadWrite'}/${input.appId}/${input.tenantId}`,
              'x-ms-throttle-information': writeLimited ? 'WriteLimitExceeded' : 'ResourceUnitLimitExceeded',
            },
          };
        }
        ruBucket.take(input.ru, ruCap, ruWindow, now);
        if (input.write) writeBucket.take(1, WRITE_LIMIT, writeWindow, now);
        else writeBucket.take(0, WRITE_LIMIT, writeWindow, now);
        const percentage = limitPercentage(Math.max(ruBucket.used(ruCap), writeBucket.used(WRITE_LIMIT)));
        return { ok: true, headers: percentage === undefined ? headers : { ...headers, [LIMIT_PERCENTAGE]: percentage } };
      }
      case 'reports': {
        const wait = this.bucket(`rep:${input.appId}`, REPORTS_LIMIT, now).take(1, REPORTS_LIMIT, REPORTS_WINDOW_MS / scale, now);
        if (wait === 0) return { ok: true, headers };
        return {
          ok: false,
          retryAfterSeconds: wait / 1000,
          headers: {
            'x-ms-throttle-scope': `Tenant_Application/Read/${input.appId}/${input.tenantId}`,
            'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
          },
        };
      }
      case 'protection': {
        // Identity Protection and Conditional Access: "do not return Retry-After" (throttling-limits.md).
        const wait = this.bucket('protection', PROTECTION_LIMIT, now).take(
          1,
          PROTECTION_LIMIT,
          PROTECTION_WINDOW_MS / scale,
          now,
        );
        return wait === 0 ? { ok: true, headers } : { ok: false, headers: {} };
      }
    }
  }
}

const LIMIT_PERCENTAGE = 'x-ms-throttle-limit-percentage';

/**
 * The header's value for a use fraction, or undefined at or below 0.8 (not sent). Two decimals, rounded down so the
 * sandbox never reports more use than there is; a token bucket never exceeds 1 here because refused requests are not
 * charged.
 */
export function limitPercentage(used: number): string | undefined {
  if (!(used > 0.8)) return undefined;
  // The epsilon keeps 0.9 from printing as 0.89 through floating-point error.
  return String(Math.min(1.8, Math.floor(used * 100 + 1e-6) / 100));
}

/** Retry-After as Graph sends it: seconds, fractional allowed (e.g. `2.128`). */
export function formatRetryAfter(seconds: number): string {
  const ms = Math.max(1, Math.ceil(seconds * 1000));
  return String(ms / 1000);
}
