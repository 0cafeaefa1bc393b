/**
 * The Graph gateway's public contract. Jobs never build Graph URLs or speak HTTP: typed adapters in shared/graph
 * (groups.ts, users.ts, phoneMethods.ts, ...) use a `Graph` and implement the small interfaces the jobs declare.
 */
export type GraphMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface GraphRequest {
  readonly method: GraphMethod;
  /**
   * Path relative to the versioned root, e.g. `/groups/{id}/members` (segments already encoded by the caller with
   * `graphPath`), or an absolute `@odata.nextLink` / `@odata.deltaLink` previously returned by Graph (it must start
   * with the configured base URL, so tokens never go elsewhere).
   */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Safe to send again after a lost response (500/502/504, connection reset)? Default: true for GET, PUT, PATCH and
   * DELETE, false for POST. Set it on POSTs that read (getByIds) or whose repeat is answered "already done".
   */
  readonly idempotent?: boolean;
}

export interface GraphResponse<T> {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: T | undefined;
}

/** One page of a collection; the last page of a delta round carries the `deltaLink` to store for the next round. */
export interface GraphPage<T> {
  readonly value: T[];
  readonly nextLink?: string;
  readonly deltaLink?: string;
}

export interface BatchItem {
  /** Unique inside one `batch()` call; generated when omitted. */
  readonly id?: string;
  readonly method: GraphMethod;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Id of an item in the same call that must succeed first (one at most: each call is fully sequential or parallel). */
  readonly dependsOn?: readonly string[];
  /** As `GraphRequest.idempotent`: whether the item may be sent again after a 500/502/504. */
  readonly idempotent?: boolean;
}

/** Final outcome of one batch item after the gateway's retries (429/503 inside the batch, 500/502/504 when safe). */
export interface BatchItemResult<T = unknown> {
  readonly id: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: T | undefined;
  /** Set when status is not 2xx: Graph's `error.code` and `error.message`. */
  readonly error?: { readonly code: string; readonly message: string };
}

export interface GraphCounters {
  /** Top-level HTTP requests sent (each $batch POST counts once). */
  readonly httpCalls: number;
  /** Requests carried inside $batch calls. */
  readonly subRequests: number;
  /** 429 responses seen, top level and inside batches. */
  readonly throttled: number;
  /** Requests or batch items sent again after a retryable failure. */
  readonly retries: number;
}

export interface GraphScopeOptions {
  /** Epoch ms after which no new request starts; in-flight waits end with a `GraphError` of kind `deadline`. */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  /** Where this scope's retry and failure lines go (the invocation's logger, with its run id); else the gateway's. */
  readonly logger?: GraphLogger;
}

/** The logger shape the gateway writes to (pino's). */
export interface GraphLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface Graph {
  /** One request; retried on 429/503/504/connection resets; throws `GraphError` on any final non-2xx. */
  request<T = unknown>(req: GraphRequest): Promise<T>;
  /** Like `request`, but returns status and headers too, and does not throw for the listed 4xx statuses. */
  send<T = unknown>(req: GraphRequest, allowStatuses?: readonly number[]): Promise<GraphResponse<T>>;
  /** Follows `@odata.nextLink` until the end, page by page (bounded memory). */
  pages<T = unknown>(req: GraphRequest): AsyncIterable<GraphPage<T>>;
  /** All items of a collection (convenience over `pages`). */
  all<T = unknown>(req: GraphRequest): Promise<T[]>;
  /** JSON batching: 20 items per $batch call, per-item results in input order, throttled items retried. */
  batch<T = unknown>(items: readonly BatchItem[]): Promise<BatchItemResult<T>[]>;
  /** Counters of this scope (a run); `scoped()` gives a run its own counters and deadline. */
  readonly counters: GraphCounters;
  scoped(options?: GraphScopeOptions): Graph;
}

/** Encodes path segments: graphPath`/users/${upn}/authentication/phoneMethods`. */
export function graphPath(strings: TemplateStringsArray, ...values: readonly string[]): string {
  return strings.reduce((acc, s, i) => acc + s + (i < values.length ? encodeURIComponent(values[i] ?? '') : ''), '');
}
