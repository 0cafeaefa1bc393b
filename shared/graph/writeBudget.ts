/**
 * Client-side budget for Graph's identity write quota, so writes slow down before Graph refuses them
 * (https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits): 3,000 writes per 2 min 30 s
 * per app and tenant, metered as a token bucket; every POST, PATCH, PUT and DELETE on an identity path costs one write,
 * and inside `$batch` every sub-request counts on its own (the envelope itself does not).
 *
 * The bucket starts full and refills linearly at `share x 3,000` per window. A caller takes its writes before it
 * sends them; when the bucket is short it is told how long to wait, and callers are served in arrival order (the
 * bucket goes negative by the writes already promised), so concurrent workers in one process share one budget.
 *
 * The budget is per process, while Graph's quota is per app registration and tenant: other instances of the app and
 * other tools using the same registration spend it too. Two signals from Graph correct for them:
 * - `x-ms-throttle-limit-percentage` (sent "only when the application consumed more than 0.8 of its limit", 0.8 to
 *   1.8): the bucket never holds more than the share of the limit Graph says is left, and a value above 1 (the app is
 *   over its limit) also halves the refill rate;
 * - a 429 on a write: nothing more is sent until its Retry-After has passed, and the refill rate halves.
 * The rate recovers by a tenth of the full rate every tenth of a window without such a signal.
 */
import { abortError } from './concurrency';

type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Graph's write quota per app and tenant. */
export const WRITE_QUOTA = 3_000;
export const WRITE_QUOTA_WINDOW_MS = 150_000;
export const THROTTLE_PERCENTAGE_HEADER = 'x-ms-throttle-limit-percentage';

const MIN_RATE_FACTOR = 1 / 16;
const RECOVERY_STEPS = 10;

export interface WriteBudgetOptions {
  /** Fraction (0-1] of the app's quota this process may use. */
  readonly share: number;
  /** Divides the window; only for the local sandbox, whose own windows are divided by its timeScale knob. */
  readonly timeScale: number;
  readonly now: () => number;
  readonly sleep: Sleep;
  readonly quota?: number;
  readonly windowMs?: number;
}

export class WriteBudget {
  readonly capacity: number;
  private readonly quota: number;
  private readonly windowMs: number;
  private tokens: number;
  private last: number;
  private holdUntil = 0;
  private rateFactor = 1;
  private factorAtSignal = 1;
  private lastSignalAt = Number.NEGATIVE_INFINITY;
  /** Writes promised to callers that are still waiting (not yet sent, so Graph's figure does not include them). */
  private waiting = 0;

  constructor(private readonly options: WriteBudgetOptions) {
    const { share, timeScale } = options;
    if (!(share > 0 && share <= 1)) throw new RangeError(`write quota share must be in (0, 1], got ${share}`);
    if (!(timeScale > 0)) throw new RangeError(`write budget timeScale must be > 0, got ${timeScale}`);
    this.quota = options.quota ?? WRITE_QUOTA;
    this.windowMs = (options.windowMs ?? WRITE_QUOTA_WINDOW_MS) / timeScale;
    this.capacity = Math.max(1, Math.floor(this.quota * share));
    this.tokens = this.capacity;
    this.last = options.now();
  }

  /** Writes available now (negative: promised ahead); for tests and diagnostics. */
  get available(): number {
    this.refill();
    return this.tokens;
  }

  /** The current fraction of the full refill rate (1 unless Graph signalled pressure recently). */
  get rate(): number {
    this.refill();
    return this.rateFactor;
  }

  /** Waits until `writes` may be sent. Rejects with the signal's reason if it aborts first (the writes are returned). */
  async take(writes: number, signal?: AbortSignal): Promise<void> {
    if (writes <= 0) return;
    if (signal?.aborted) throw abortError(signal);
    this.refill();
    this.tokens -= writes;
    const now = this.options.now();
    const wait = Math.max(this.tokens < 0 ? -this.tokens / this.refillPerMs() : 0, this.holdUntil - now);
    if (wait <= 0) return;
    this.waiting += writes;
    try {
      await this.options.sleep(Math.ceil(wait), signal);
    } catch (e) {
      this.tokens += writes;
      throw e;
    } finally {
      this.waiting -= writes;
    }
  }

  /**
   * Reads Graph's answer to a request (top level or a `$batch` item). `refusedWrite`: the answer was a 429 to a
   * write, so someone (another instance, another tool) is spending the quota; `retryAfterMs` is its Retry-After.
   */
  observe(headers: Readonly<Record<string, string>>, refusedWrite = false, retryAfterMs?: number): void {
    this.refill();
    const now = this.options.now();
    if (refusedWrite) {
      this.tokens = Math.min(this.tokens, 0);
      if (retryAfterMs !== undefined) this.holdUntil = Math.max(this.holdUntil, now + retryAfterMs);
      this.slowDown(now);
    }
    const used = parseLimitPercentage(headers[THROTTLE_PERCENTAGE_HEADER]);
    if (used === undefined) return;
    // What Graph says is left of the whole app's quota, less what we already promised to waiting callers.
    this.tokens = Math.min(this.tokens, this.quota * (1 - used) - this.waiting);
    if (used > 1) this.slowDown(now);
  }

  private refillPerMs(): number {
    return (this.capacity / this.windowMs) * this.rateFactor;
  }

  /** Halves the rate, at most once per recovery step (one burst of 429s from writes sent together is one signal). */
  private slowDown(now: number): void {
    if (now - this.lastSignalAt < this.windowMs / RECOVERY_STEPS) return;
    this.rateFactor = Math.max(MIN_RATE_FACTOR, this.rateFactor / 2);
    this.factorAtSignal = this.rateFactor;
    this.lastSignalAt = now;
  }

  private refill(): void {
    const now = this.options.now();
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.refillPerMs());
    this.last = now;
    if (this.rateFactor < 1) {
      const steps = Math.floor((now - this.lastSignalAt) / (this.windowMs / RECOVERY_STEPS));
      this.rateFactor = Math.min(1, this.factorAtSignal + steps / RECOVERY_STEPS);
    }
  }
}

/** The header's value as a fraction of the limit (0.8 to 1.8 when present); undefined when absent or malformed. */
export function parseLimitPercentage(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 && n <= 10 ? n : undefined;
}

const READ_ACTIONS =
  /\/(getbyids|getobjectsbyid|ismemberof|checkmembergroups|checkmemberobjects|getmembergroups|getmemberobjects)$/;
const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/**
 * Whether Graph charges a request to the identity write quota: a POST/PATCH/PUT/DELETE, except the POST actions the
 * limits page lists with write cost 0 (getByIds and the membership checks), `$batch` envelopes (their items count)
 * and the services with their own fixed-rate buckets (identity protection, Conditional Access, reports).
 * `route` is the path under the version root, without query.
 */
export function isQuotaWrite(method: string, route: string): boolean {
  if (!WRITE_METHODS.has(method.toUpperCase())) return false;
  const path = route.toLowerCase().replace(/\/+$/, '');
  if (path === '/$batch' || READ_ACTIONS.test(path)) return false;
  return !(
    path.startsWith('/identityprotection/') ||
    path.startsWith('/identity/conditionalaccess/') ||
    path.startsWith('/auditlogs/') ||
    path.startsWith('/reports/')
  );
}
