/**
 * The one HTTP path of the ticket adapters: `fetch` with a timeout, and every failure mapped to a TicketProviderError
 * that says whether a retry can help. Adapters do not retry inside a call: a ticket call that failed goes back to the
 * ticket queue, which backs off (at least `retryAfterMs` when the system sent Retry-After), so nothing is lost and one
 * slow system never holds a function invocation for minutes.
 *
 * Retryable: 408, 425, 429, 5xx, timeouts and connection failures. Not retryable: 401 and 403 (credentials or
 * permissions: a person must fix them, so they surface in health instead of looping) and any other 4xx (a request
 * the system refuses will be refused again). Logs carry method, path and status only: never the query (it holds our
 * dedupe keys), bodies, or the Authorization header.
 */

import type { Logger } from 'pino';
import type { z } from 'zod';

import { connectionErrorCode, parseRetryAfter } from '../graph/retry';
import { TicketProviderError, type TicketProviderName } from './port';

export const DEFAULT_TIMEOUT_MS = 15_000;
const RETRYABLE_4XX = new Set([408, 425, 429]);
const MAX_ERROR_TEXT = 500;

export interface ProviderHttpOptions {
  readonly provider: TicketProviderName;
  /** Scheme, host and optional path prefix, without a trailing slash. */
  readonly baseUrl: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly logger?: Logger;
  readonly now?: () => number;
  /** The system's own error text from an error body, to put in the error message. */
  readonly describeError?: (body: unknown) => string | undefined;
  /** What a person should check when the system answers 401 or 403. */
  readonly authHint: string;
}

export interface ProviderRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  /** Path under the base URL, starting with `/`; or an absolute URL (the webhook provider). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON-encoded unless it is already a string (form bodies, pre-signed webhook bodies). */
  readonly body?: unknown;
  /** What this call is, for messages: "create incident", "search issues". */
  readonly action: string;
}

export interface ProviderResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

export function joinUrl(baseUrl: string, path: string, query?: Readonly<Record<string, string>>): string {
  const url = /^https?:\/\//i.test(path) ? new URL(path) : new URL(baseUrl.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  return url.toString();
}

const isTimeout = (e: unknown) => e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');

export async function sendProviderRequest(options: ProviderHttpOptions, request: ProviderRequest): Promise<ProviderResponse> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | undefined;
  if (request.body !== undefined) {
    body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const { provider } = options;
  const started = performance.now();
  let res: Response;
  let text: string;
  try {
    res = await doFetch(joinUrl(options.baseUrl, request.path, request.query), {
      method: request.method,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    text = await res.text();
  } catch (e) {
    const reason = isTimeout(e)
      ? `no answer within ${timeoutMs} ms`
      : `connection failed (${connectionErrorCode(e) ?? 'network error'})`;
    options.logger?.debug({ provider, method: request.method, path: request.path, reason }, 'ticket provider call failed');
    throw new TicketProviderError(provider, `${provider}: ${request.action}: ${reason}`, true);
  }
  options.logger?.debug(
    { provider, method: request.method, path: request.path, status: res.status, ms: Math.round(performance.now() - started) },
    'ticket provider call',
  );
  let parsed: unknown = undefined;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = text;
    }
  }
  if (res.status >= 200 && res.status < 300) return { status: res.status, headers: res.headers, body: parsed };
  throw providerError(options, request, res, parsed);
}

function providerError(
  options: ProviderHttpOptions,
  request: ProviderRequest,
  res: Response,
  body: unknown,
): TicketProviderError {
  const { provider } = options;
  const said = (options.describeError?.(body) ?? (typeof body === 'string' ? body : undefined))?.slice(0, MAX_ERROR_TEXT);
  const suffix = said ? `: ${said}` : '';
  const status = res.status;
  if (status === 401 || status === 403) {
    const what = status === 401 ? 'refused the credentials' : 'denied permission';
    return new TicketProviderError(
      provider,
      `${provider}: ${request.action}: ${what} (HTTP ${status})${suffix}. ${options.authHint}`,
      false,
      status,
    );
  }
  if (status >= 500 || RETRYABLE_4XX.has(status)) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), (options.now ?? Date.now)());
    return new TicketProviderError(
      provider,
      `${provider}: ${request.action}: HTTP ${status}, will retry${suffix}`,
      true,
      status,
      retryAfterMs,
    );
  }
  if (status >= 300 && status < 400) {
    // Redirects are not followed: an API that redirects is usually a sign-in page or a wrong base URL.
    return new TicketProviderError(
      provider,
      `${provider}: ${request.action}: redirected (HTTP ${status}); check the base URL`,
      false,
      status,
    );
  }
  return new TicketProviderError(provider, `${provider}: ${request.action}: HTTP ${status}${suffix}`, false, status);
}

/** Basic authentication header value; the password or token never leaves this function in any other form. */
export const basicAuth = (user: string, secret: string): string =>
  `Basic ${Buffer.from(`${user}:${secret}`, 'utf8').toString('base64')}`;

/** Parses an answer with its documented shape, or throws the non-retryable error for one that does not have it. */
export function parseAnswer<T>(provider: TicketProviderName, action: string, schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || '(root)';
    throw new TicketProviderError(
      provider,
      `${provider}: ${action}: the answer does not have the documented shape (${where})`,
      false,
    );
  }
  return parsed.data;
}
