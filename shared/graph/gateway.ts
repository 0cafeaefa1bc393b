/**
 * The Graph gateway: the only code in entra-ops that speaks HTTP to Microsoft Graph.
 *
 * Deliberately built on Node's global `fetch` instead of `@microsoft/microsoft-graph-client`: that SDK cannot retry
 * throttled items inside a `$batch` response, has no per-run request/throttle counters, and mangles `http://` next
 * links (it treats only `https://` URLs as absolute and never authenticates them), which breaks the local sandbox
 * entirely. Types come from `@microsoft/microsoft-graph-types` in the typed adapters.
 *
 * Retries: 429 and 503 (Graph refused the request before doing it) for every request; 500, 502, 504 and connection
 * failures, which may follow a write the service completed, only for requests that are safe to repeat (GET, PUT,
 * PATCH, DELETE, and POSTs their caller marks `idempotent`: reads such as getByIds, and writes whose repeat is answered
 * "already done" and reconciled by the caller, such as `$ref` adds and phone-method creates). A 401 drops the cached
 * token and is retried once with a new one (a revoked token, a permission change).
 */
import { randomUUID } from 'node:crypto';

import type { TokenCredential } from '@azure/identity';

import { type BatchRunner, type BatchWireRequest, type BatchWireResponse, prepareItems, runBatch } from './batch';
import { abortError, AdaptiveLimiter, type Permit } from './concurrency';
import { CounterSet } from './counters';
import { graphScope, type GraphTokenProvider, tokenProviderFromCredential } from './credentials';
import { GraphError, parseGraphErrorBody } from './errors';
import { type PaceClass, paceClassFor, Pacer, type PaceTicket } from './pacing';
import { followPages, parsePage } from './paging';
import { connectionErrorCode, isRetryableStatus, isSafeToRepeat, parseRetryAfter, retryDelay } from './retry';
import type {
  BatchItem,
  BatchItemResult,
  Graph,
  GraphCounters,
  GraphLogger,
  GraphMethod,
  GraphPage,
  GraphRequest,
  GraphResponse,
  GraphScopeOptions,
} from './types';
import { GRAPH_VERSION, normaliseBaseUrl, requestUrl, routeOf } from './urls';
import { isQuotaWrite, WriteBudget } from './writeBudget';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface GraphGatewayOptions {
  /** `https://graph.microsoft.com` (default cloud), a national cloud root, or the sandbox `http://127.0.0.1:PORT`. */
  readonly baseUrl: string;
  /** How to get tokens; or pass `credential` and the gateway caches tokens for `<baseUrl>/.default`. */
  readonly tokenProvider?: GraphTokenProvider;
  readonly credential?: TokenCredential;
  /** Upper bound of requests in flight across all scopes (the adaptive limit moves between 1 and this). */
  readonly maxConcurrency: number;
  /** Retries after the first attempt, per request and per batch item. */
  readonly maxRetries: number;
  /** Longest single wait, for backoff and for Retry-After alike. */
  readonly maxBackoffMs: number;
  readonly fetch?: typeof fetch;
  /** Retry and failure lines: method, route, status, delay. Never tokens, queries or bodies. */
  readonly logger?: GraphLogger;
  readonly random?: () => number;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  /**
   * Divides the paced buckets' intervals (identity protection 1/s, sign-in logs 5/10 s); only for the local sandbox,
   * whose own windows are divided by its timeScale knob. Default 1.
   */
  readonly pacingTimeScale?: number;
  /**
   * Fraction (0-1] of the app's identity write quota (3,000 writes per 150 s per app and tenant) this process
   * budgets for itself; the budget's window is divided by `pacingTimeScale` too. Default 1.
   */
  readonly writeQuotaShare?: number;
}

/** Real sleep that ends early, rejecting with the signal's reason, when the signal aborts. */
export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

interface Shared {
  readonly baseUrl: string;
  readonly batchUrl: string;
  readonly tokens: GraphTokenProvider;
  readonly limiter: AdaptiveLimiter;
  readonly pacer: Pacer;
  readonly writeBudget: WriteBudget;
  readonly fetch: typeof fetch;
  readonly logger: GraphLogger | undefined;
  readonly random: () => number;
  readonly sleep: Sleep;
  readonly now: () => number;
  readonly maxRetries: number;
  readonly maxBackoffMs: number;
}

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** One attempt's result: a response, or a connection failure (its code and error); with the permit it held. */
interface Attempted {
  readonly res?: RawResponse;
  readonly networkCode?: string;
  readonly networkError?: unknown;
  readonly permit: Permit;
}

interface Call {
  readonly method: GraphMethod;
  readonly url: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly allow?: readonly number[];
  /** May be sent again after a 500/502/504 or a connection failure (see the module comment). */
  readonly safeToRepeat: boolean;
  /** Writes this request charges to Graph's write quota (a `$batch`: its writing items); taken from the budget per attempt. */
  readonly writes: number;
  /** Extra cancellation for this call only (a `$batch` sibling failed). */
  readonly signal?: AbortSignal;
  /** Called with each response before retry decisions (the batch path counts throttled items). */
  readonly inspect?: (res: RawResponse, permit: Permit) => void;
}

export function createGraphGateway(options: GraphGatewayOptions): Graph {
  const baseUrl = normaliseBaseUrl(options.baseUrl);
  const tokens =
    options.tokenProvider ??
    (options.credential ? tokenProviderFromCredential(options.credential, graphScope(baseUrl)) : undefined);
  if (!tokens) throw new GraphError({ kind: 'auth', message: 'createGraphGateway needs a tokenProvider or a credential' });
  for (const [name, value, min] of [
    ['maxConcurrency', options.maxConcurrency, 1],
    ['maxRetries', options.maxRetries, 0],
    ['maxBackoffMs', options.maxBackoffMs, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const shared: Shared = {
    baseUrl,
    batchUrl: `${baseUrl}/${GRAPH_VERSION}/$batch`,
    tokens,
    limiter: new AdaptiveLimiter(options.maxConcurrency),
    pacer: new Pacer(options.pacingTimeScale ?? 1, now, sleep),
    writeBudget: new WriteBudget({ share: options.writeQuotaShare ?? 1, timeScale: options.pacingTimeScale ?? 1, now, sleep }),
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    logger: options.logger,
    random: options.random ?? Math.random,
    sleep,
    now,
    maxRetries: options.maxRetries,
    maxBackoffMs: options.maxBackoffMs,
  };
  return new GraphScope(shared, new CounterSet(), undefined, undefined, undefined);
}

const isOk = (status: number): boolean => status >= 200 && status < 300;

class GraphScope implements Graph {
  constructor(
    private readonly shared: Shared,
    private readonly counterSet: CounterSet,
    private readonly deadline: number | undefined,
    private readonly signal: AbortSignal | undefined,
    private readonly scopeLogger: GraphLogger | undefined,
  ) {}

  private get log(): GraphLogger | undefined {
    return this.scopeLogger ?? this.shared.logger;
  }

  get counters(): GraphCounters {
    return this.counterSet.snapshot();
  }

  scoped(options: GraphScopeOptions = {}): Graph {
    const deadline =
      options.deadline === undefined ? this.deadline : Math.min(options.deadline, this.deadline ?? Number.POSITIVE_INFINITY);
    const signals = [this.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length <= 1 ? signals[0] : AbortSignal.any(signals);
    return new GraphScope(this.shared, new CounterSet(this.counterSet), deadline, signal, options.logger ?? this.scopeLogger);
  }

  async request<T = unknown>(req: GraphRequest): Promise<T> {
    const res = await this.execute(this.call(req));
    return res.body as T;
  }

  async send<T = unknown>(req: GraphRequest, allowStatuses: readonly number[] = []): Promise<GraphResponse<T>> {
    const res = await this.execute({ ...this.call(req), allow: allowStatuses });
    return { status: res.status, headers: res.headers, body: res.body as T | undefined };
  }

  pages<T = unknown>(req: GraphRequest): AsyncIterable<GraphPage<T>> {
    const first = this.call(req);
    return followPages<T>(async (link) => {
      const call = link === undefined ? first : { ...first, url: requestUrl(this.shared.baseUrl, link) };
      const res = await this.execute(call);
      return parsePage<T>(res.body, call.method, this.route(call.url));
    });
  }

  async all<T = unknown>(req: GraphRequest): Promise<T[]> {
    const items: T[] = [];
    for await (const page of this.pages<T>(req)) items.push(...page.value);
    return items;
  }

  async batch<T = unknown>(items: readonly BatchItem[]): Promise<BatchItemResult<T>[]> {
    if (items.length === 0) return [];
    const prepared = prepareItems(items, this.shared.baseUrl);
    const runner: BatchRunner = {
      send: (requests, signal, safeToRepeat) => this.sendBatch(requests, signal, safeToRepeat),
      delay: (retries, retryAfterMs) => retryDelay(retries, retryAfterMs, this.shared.maxBackoffMs, this.shared.random),
      sleep: (ms) => this.pause(ms, 'POST', '/$batch'),
      countRetries: (n) => {
        this.counterSet.add('retries', n);
        this.log?.info({ method: 'POST', route: '/$batch', items: n }, 'graph retry of batch items');
      },
      maxRetries: this.shared.maxRetries,
      now: this.shared.now,
    };
    return runBatch<T>(prepared, runner);
  }

  private call(req: GraphRequest): Call {
    const url = requestUrl(this.shared.baseUrl, req.path, req.query);
    return {
      method: req.method,
      url,
      safeToRepeat: isSafeToRepeat(req.method, req.idempotent),
      writes: isQuotaWrite(req.method, this.route(url)) ? 1 : 0,
      ...(req.body === undefined ? {} : { body: req.body }),
      ...(req.headers === undefined ? {} : { headers: req.headers }),
    };
  }

  private async sendBatch(
    requests: readonly BatchWireRequest[],
    signal: AbortSignal,
    safeToRepeat: boolean,
  ): Promise<BatchWireResponse[]> {
    const res = await this.execute({
      method: 'POST',
      url: this.shared.batchUrl,
      body: { requests },
      safeToRepeat,
      writes: requests.filter((r) => isQuotaWrite(r.method, routeOf(r.url))).length,
      signal,
      inspect: (raw, permit) => {
        if (!isOk(raw.status)) return;
        this.counterSet.add('subRequests', requests.length);
        const items = readBatchResponses(raw.body);
        this.observeItems(requests, items);
        const throttled = items.filter((r) => r.status === 429).length;
        if (throttled > 0) {
          this.counterSet.add('throttled', throttled);
          this.shared.limiter.throttled(permit.epoch);
        }
      },
    });
    return readBatchResponses(res.body);
  }

  /** Each item's answer feeds the write budget: its limit-percentage header, and 429s to writing items. */
  private observeItems(requests: readonly BatchWireRequest[], items: readonly BatchWireResponse[]): void {
    const byId = new Map(requests.map((r) => [r.id, r]));
    for (const item of items) {
      const sent = byId.get(item.id);
      const refusedWrite = item.status === 429 && sent !== undefined && isQuotaWrite(sent.method, routeOf(sent.url));
      const retryAfter = refusedWrite ? parseRetryAfter(item.headers['retry-after'], this.shared.now()) : undefined;
      this.shared.writeBudget.observe(item.headers, refusedWrite, retryAfter);
    }
  }

  /** Path under the version root without query: what errors and debug lines show. */
  private route(url: string): string {
    const root = `${this.shared.baseUrl}/${GRAPH_VERSION}`;
    const noQuery = url.split('?')[0] ?? url;
    return noQuery.startsWith(root) ? noQuery.slice(root.length) || '/' : noQuery;
  }

  /** Aborts on the scope's signal, the call's own signal, or at the deadline. */
  private waitSignal(extra?: AbortSignal): AbortSignal | undefined {
    const signals = [this.signal, extra].filter((s): s is AbortSignal => s !== undefined);
    if (this.deadline !== undefined) signals.push(AbortSignal.timeout(Math.max(0, this.deadline - this.shared.now())));
    return signals.length <= 1 ? signals[0] : AbortSignal.any(signals);
  }

  private deadlineError(method: string, route: string, attempts: number, cause?: unknown): GraphError {
    const aborted = this.signal?.aborted === true;
    return new GraphError({
      kind: 'deadline',
      method,
      route,
      attempts,
      message: aborted
        ? `Graph ${method} ${route} was cancelled`
        : `Graph ${method} ${route} could not finish before the run's deadline`,
      ...(cause === undefined ? {} : { cause }),
    });
  }

  private checkDeadline(method: string, route: string, attempts: number, extra?: AbortSignal): void {
    if (this.signal?.aborted || extra?.aborted || (this.deadline !== undefined && this.shared.now() >= this.deadline)) {
      throw this.deadlineError(method, route, attempts);
    }
  }

  /** Waits before a retry; a wait that would end past the deadline is not started. */
  private async pause(ms: number, method: string, route: string, extra?: AbortSignal, attempts = 0): Promise<void> {
    if (this.deadline !== undefined && this.shared.now() + ms >= this.deadline) throw this.deadlineError(method, route, attempts);
    const signal = this.waitSignal(extra);
    try {
      await this.shared.sleep(ms, signal);
    } catch (e) {
      throw this.deadlineError(method, route, attempts, e);
    }
    this.checkDeadline(method, route, attempts, extra);
  }

  /** Sends one request with its retries: pacing, concurrency, token renewal, throttling and the retry safety rules. */
  private async execute(call: Call): Promise<RawResponse> {
    const route = this.route(call.url);
    // One client-request-id for every attempt of this request, so Graph support can follow a retried call.
    const clientRequestId = randomUUID();
    const pace = paceClassFor(route);
    let tokenRenewed = false;
    for (let retries = 0; ; retries++) {
      this.checkDeadline(call.method, route, retries, call.signal);
      const attempted = await this.attemptWithPermit(call, route, pace, clientRequestId, retries);
      if (attempted.res?.status === 401 && !tokenRenewed && this.shared.tokens.invalidate) {
        tokenRenewed = true;
        this.renewToken(call.method, route);
        continue;
      }
      const verdict = this.judge(call, route, attempted, retries);
      if ('res' in verdict) return verdict.res;
      if (retries >= this.shared.maxRetries) throw this.retriesExhausted(call.method, route, attempted, retries);
      await this.backoff(call, route, pace, attempted, verdict.retryAfterMs, retries);
    }
  }

  /** Takes a pacing ticket (paced routes) and a concurrency permit, makes one attempt, and gives both back. */
  private async attemptWithPermit(
    call: Call,
    route: string,
    pace: PaceClass | undefined,
    clientRequestId: string,
    retries: number,
  ): Promise<Attempted> {
    let permit: Permit;
    let paced: PaceTicket | undefined;
    try {
      if (pace) paced = await this.shared.pacer.acquire(pace, this.waitSignal(call.signal));
      await this.shared.writeBudget.take(call.writes, this.waitSignal(call.signal));
      permit = await this.shared.limiter.acquire(this.waitSignal(call.signal));
    } catch (e) {
      paced?.done('ok');
      throw this.deadlineError(call.method, route, retries, e);
    }
    let res: RawResponse | undefined;
    try {
      res = await this.attempt(call, clientRequestId);
      return { res, permit };
    } catch (e) {
      if (e instanceof GraphError) throw e;
      if (this.signal?.aborted) throw this.deadlineError(call.method, route, retries + 1, e);
      const networkCode = connectionErrorCode(e);
      if (networkCode === undefined) throw e;
      return { networkCode, networkError: e, permit };
    } finally {
      permit.release();
      paced?.done(res?.status === 429 ? 'throttled' : 'ok');
    }
  }

  /** The cached token was revoked or lost a permission: one more attempt with a fresh token, then the 401 stands. */
  private renewToken(method: string, route: string): void {
    this.shared.tokens.invalidate?.();
    this.log?.warn({ method, route, status: 401 }, 'graph token refused; retrying once with a new token');
    this.counterSet.add('retries');
  }

  /**
   * What one attempt means: the response to return, an error to throw (not retryable, or a lost connection on a
   * request that is not safe to repeat), or a retry, with Graph's Retry-After when it gave one.
   */
  private judge(
    call: Call,
    route: string,
    { res, networkCode, networkError, permit }: Attempted,
    retries: number,
  ): { readonly res: RawResponse } | { readonly retryAfterMs: number | undefined } {
    const { method } = call;
    if (networkCode !== undefined && !call.safeToRepeat) {
      this.log?.warn(
        { method, route, errorCode: networkCode },
        'graph connection failed on a request that is not safe to repeat',
      );
      throw new GraphError({
        kind: 'http',
        method,
        route,
        status: 0,
        attempts: retries + 1,
        code: networkCode,
        message: `Graph ${method} ${route} lost its connection (${networkCode}); not sent again because it is not safe to repeat`,
        cause: networkError,
      });
    }
    if (!res) return { retryAfterMs: undefined };
    this.observeWrites(call, res);
    call.inspect?.(res, permit);
    const accepted = isOk(res.status) || (call.allow?.includes(res.status) ?? false);
    if (accepted || !isRetryableStatus(res.status, call.safeToRepeat)) {
      this.shared.limiter.succeeded();
      if (accepted) return { res };
      throw this.httpError(method, route, res, retries + 1);
    }
    if (res.status === 429) {
      this.counterSet.add('throttled');
      this.shared.limiter.throttled(permit.epoch);
    }
    return { retryAfterMs: parseRetryAfter(res.headers['retry-after'], this.shared.now()) };
  }

  private retriesExhausted(
    method: string,
    route: string,
    { res, networkCode, networkError }: Attempted,
    retries: number,
  ): GraphError {
    const last = res ? `${res.status} ${parseGraphErrorBody(res.body)?.code ?? ''}`.trim() : `connection failure ${networkCode}`;
    this.log?.warn({ method, route, status: res?.status ?? 0, attempts: retries + 1 }, 'graph retries exhausted');
    return new GraphError({
      kind: 'retriesExhausted',
      method,
      route,
      attempts: retries + 1,
      status: res?.status ?? 0,
      message: `Graph ${method} ${route} still failing after ${retries + 1} attempts (last: ${last})`,
      ...(res ? this.errorFields(res) : { code: networkCode, cause: networkError }),
    });
  }

  /** Waits before the next attempt (Retry-After or jittered backoff) and counts the retry. */
  private async backoff(
    call: Call,
    route: string,
    pace: PaceClass | undefined,
    { res, networkCode }: Attempted,
    retryAfterMs: number | undefined,
    retries: number,
  ): Promise<void> {
    const { method } = call;
    // A paced bucket's 429 (another app's traffic) already cooled the lane down for every caller; waiting here too
    // would only add the same backoff twice.
    const delayMs =
      pace && res?.status === 429 ? 0 : retryDelay(retries, retryAfterMs, this.shared.maxBackoffMs, this.shared.random);
    this.log?.info(
      {
        method,
        route,
        status: res?.status ?? 0,
        errorCode: networkCode,
        attempt: retries + 1,
        delayMs,
        retryAfter: retryAfterMs !== undefined,
      },
      'graph retry',
    );
    await this.pause(delayMs, method, route, call.signal, retries + 1);
    this.counterSet.add('retries');
  }

  /** The answer's limit-percentage header, and a 429 to a writing request, feed the write budget. */
  private observeWrites(call: Call, res: RawResponse): void {
    const refused = res.status === 429 && call.writes > 0;
    const retryAfter = refused ? parseRetryAfter(res.headers['retry-after'], this.shared.now()) : undefined;
    this.shared.writeBudget.observe(res.headers, refused, retryAfter);
  }

  /** One HTTP exchange: token, fetch, full body read (a reset mid-body is a connection failure too). */
  private async attempt(call: Call, clientRequestId: string): Promise<RawResponse> {
    const token = await this.shared.tokens.getToken(this.signal);
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'client-request-id': clientRequestId,
      ...(call.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...call.headers,
      Authorization: `Bearer ${token}`,
    };
    this.counterSet.add('httpCalls');
    const response = await this.shared.fetch(call.url, {
      method: call.method,
      headers,
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      // Never follow redirects: a redirect to another host would carry the bearer token there.
      redirect: 'manual',
      ...(this.signal === undefined ? {} : { signal: this.signal }),
    });
    const text = await response.text();
    const out: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      out[key.toLowerCase()] = value;
    });
    return {
      status: response.status,
      headers: out,
      body: parseBody(text, out['content-type'], response.status, call.method, this.route(call.url)),
    };
  }

  private errorFields(res: RawResponse): { code?: string; graphMessage?: string; requestId?: string } {
    const parsed = parseGraphErrorBody(res.body);
    const requestId = parsed?.requestId ?? res.headers['request-id'] ?? res.headers['client-request-id'];
    return {
      ...(parsed ? { code: parsed.code, graphMessage: parsed.message } : {}),
      ...(requestId === undefined ? {} : { requestId }),
    };
  }

  private httpError(method: string, route: string, res: RawResponse, attempts: number): GraphError {
    const fields = this.errorFields(res);
    this.log?.info(
      { method, route, status: res.status, errorCode: fields.code, requestId: fields.requestId },
      'graph request failed',
    );
    return new GraphError({
      kind: 'http',
      method,
      route,
      status: res.status,
      attempts,
      message: `Graph ${method} ${route} failed with ${res.status}${fields.code ? ` ${fields.code}` : ''}${
        fields.graphMessage ? `: ${fields.graphMessage}` : ''
      }`,
      ...fields,
    });
  }
}

function parseBody(text: string, contentType: string | undefined, status: number, method: string, route: string): unknown {
  if (text === '') return undefined;
  if (!/\bjson\b/i.test(contentType ?? '') && !/^\s*[{[]/.test(text)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    if (!isOk(status)) return undefined;
    throw new GraphError({
      kind: 'invalidResponse',
      method,
      route,
      status,
      message: `Graph ${method} ${route} returned invalid JSON`,
      cause: e,
    });
  }
}

function readBatchResponses(body: unknown): BatchWireResponse[] {
  const list = typeof body === 'object' && body !== null ? (body as { responses?: unknown }).responses : undefined;
  if (!Array.isArray(list)) {
    throw new GraphError({
      kind: 'invalidResponse',
      method: 'POST',
      route: '/$batch',
      message: 'Graph $batch returned no "responses" array',
    });
  }
  return list.flatMap((r): BatchWireResponse[] => {
    if (typeof r !== 'object' || r === null) return [];
    const o = r as Record<string, unknown>;
    const id = typeof o.id === 'string' ? o.id : typeof o.id === 'number' ? String(o.id) : undefined;
    if (id === undefined || typeof o.status !== 'number') return [];
    const headers: Record<string, string> = {};
    if (typeof o.headers === 'object' && o.headers !== null) {
      for (const [k, v] of Object.entries(o.headers as Record<string, unknown>)) {
        if (typeof v === 'string' || typeof v === 'number') headers[k.toLowerCase()] = String(v);
      }
    }
    return [{ id, status: o.status, headers, body: o.body }];
  });
}
