/**
 * Retry policy shared by top-level requests and `$batch` items.
 * Graph throttling guidance: on 429 wait `Retry-After` (seconds, may be fractional, e.g. `2.128`), else back off
 * exponentially; identity-protection and CA resources send 429 without Retry-After, so the backoff path is real.
 * https://learn.microsoft.com/graph/throttling
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

/**
 * Statuses worth another attempt. 429 and 503 are Graph refusing the request before doing it (throttling guidance:
 * retry after Retry-After), so every request is retried. 500, 502 and 504 may come after the service applied the
 * request (a gateway that gave up waiting), so only requests that are safe to repeat are retried on them.
 */
export function isRetryableStatus(status: number, safeToRepeat = true): boolean {
  if (status === 429 || status === 503) return true;
  return safeToRepeat && (status === 500 || status === 502 || status === 504);
}

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'PUT', 'PATCH', 'DELETE']);

/**
 * Whether sending a request twice has the effect of sending it once (RFC 9110 §9.2.2): GET, PUT, PATCH and DELETE are;
 * a POST is only when its caller says so (reads such as getByIds, actions whose repeat is answered "already done" and
 * handled). A request that is not safe is never re-sent after an answer that may follow a completed write (500, 502,
 * 504, a connection reset): the caller sees the failure and re-reads instead.
 */
export function isSafeToRepeat(method: string, idempotent?: boolean): boolean {
  return idempotent ?? IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/** First backoff step when Graph gives no Retry-After. */
export const BASE_BACKOFF_MS = 500;

/**
 * Parses a `Retry-After` value (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) into milliseconds from `now`.
 * Graph sends fractional seconds, which the RFC does not allow but we accept. Returns undefined when absent or unusable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) {
    const ms = Math.ceil(Number(text) * 1000);
    return Number.isFinite(ms) ? ms : undefined;
  }
  // An HTTP-date always names a weekday or month; refuse bare numbers with signs or units ("-1", "5s").
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Exponential backoff with "equal jitter": the step `min(cap, base * 2^attempt)` is halved and the other half is
 * random, so concurrent clients spread out but none retries immediately. Always within [0, cap].
 */
export function backoffDelay(attempt: number, capMs: number, random: () => number, baseMs = BASE_BACKOFF_MS): number {
  const cap = Math.max(0, capMs);
  const exp = Math.min(cap, baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  const r = Math.min(1, Math.max(0, random()));
  return Math.min(cap, Math.round(exp / 2 + (exp / 2) * r));
}

/**
 * Delay before retry number `attempt + 1`: Graph's Retry-After when it sent one (bounded by the cap, so one huge value
 * cannot park a run for hours; the next attempt then simply meets another 429), else jittered backoff.
 */
export function retryDelay(attempt: number, retryAfterMs: number | undefined, capMs: number, random: () => number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), Math.max(0, capMs));
  return backoffDelay(attempt, capMs, random);
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const errorCode = (e: unknown): string | undefined => {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * Connection-level failure worth retrying: Node's fetch rejects with `TypeError: fetch failed` whose `cause` carries
 * the socket error (`ECONNRESET`, `UND_ERR_SOCKET` "other side closed", ...); body reads fail the same way.
 * Returns the code to report (e.g. `ECONNRESET`), or undefined when the error is not a connection failure.
 */
export function connectionErrorCode(e: unknown): string | undefined {
  const chain: unknown[] = [];
  for (
    let cur: unknown = e;
    cur !== undefined && cur !== null && chain.length < 5;
    cur = cur instanceof Error ? cur.cause : undefined
  ) {
    chain.push(cur);
  }
  const code = chain.map(errorCode).find((c) => c !== undefined && CONNECTION_CODES.has(c));
  if (code !== undefined) return code;
  if (chain.some((c) => c instanceof Error && /socket hang up|other side closed|^terminated$/i.test(c.message)))
    return 'ECONNRESET';
  if (e instanceof TypeError && e.message === 'fetch failed')
    return chain.map(errorCode).find((c) => c !== undefined) ?? 'FETCH_FAILED';
  return undefined;
}
