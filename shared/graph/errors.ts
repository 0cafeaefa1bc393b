/**
 * The one error type the gateway throws. Callers branch on `kind` and, for `http`, on Graph's `status` and `code`
 * (`Request_ResourceNotFound`, `Request_BadRequest`, ...). Messages never contain tokens or request/response bodies.
 */
export type GraphErrorKind =
  /** Graph answered with a final non-2xx status that is not retried (4xx other than 429, other 5xx). */
  | 'http'
  /** 429/503/504 or connection failures kept happening after `maxRetries` retries. */
  | 'retriesExhausted'
  /** The scope's deadline passed, or its signal was aborted, before the request could finish. */
  | 'deadline'
  /** The request itself is unusable: a link to a foreign host, a malformed path, bad `$batch` items. */
  | 'invalidRequest'
  /** Graph answered 2xx with a body the gateway cannot read (not JSON, no `value` array, no `responses`). */
  | 'invalidResponse'
  /** No token could be obtained from the credential. */
  | 'auth';

export interface GraphErrorInit {
  readonly kind: GraphErrorKind;
  readonly message: string;
  readonly method?: string;
  /** Path without query (never the query: skip tokens and filters stay out of logs). */
  readonly route?: string;
  /** HTTP status of the last response; 0 when the last attempt failed without a response (connection reset). */
  readonly status?: number;
  /** Graph's `error.code`, or the network error code (`ECONNRESET`) for connection failures. */
  readonly code?: string;
  readonly graphMessage?: string;
  readonly requestId?: string;
  readonly attempts?: number;
  readonly cause?: unknown;
}

export class GraphError extends Error {
  override readonly name = 'GraphError';
  readonly kind: GraphErrorKind;
  readonly method: string | undefined;
  readonly route: string | undefined;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly graphMessage: string | undefined;
  readonly requestId: string | undefined;
  readonly attempts: number | undefined;

  constructor(init: GraphErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.method = init.method;
    this.route = init.route;
    this.status = init.status;
    this.code = init.code;
    this.graphMessage = init.graphMessage;
    this.requestId = init.requestId;
    this.attempts = init.attempts;
  }
}

/** True for a `GraphError` with the given final status (and Graph error code, when given). */
export function isGraphError(value: unknown, status?: number, code?: string): value is GraphError {
  if (!(value instanceof GraphError)) return false;
  if (status !== undefined && value.status !== status) return false;
  if (code !== undefined && value.code !== code) return false;
  return true;
}

/** Graph's error body: `{ "error": { "code", "message", "innerError": { "request-id", ... } } }`. */
export interface GraphErrorBody {
  readonly code: string;
  readonly message: string;
  readonly requestId?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export function parseGraphErrorBody(body: unknown): GraphErrorBody | undefined {
  const error = obj(obj(body)?.error);
  if (!error) return undefined;
  const inner = obj(error.innerError) ?? obj(error.innererror);
  const requestId = str(inner?.['request-id']) ?? str(inner?.requestId);
  const parsed = { code: str(error.code) ?? 'UnknownError', message: str(error.message) ?? '' };
  return requestId === undefined ? parsed : { ...parsed, requestId };
}
