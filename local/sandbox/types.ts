/** Shapes shared by the sandbox's request pipeline, router and route handlers. */
import type { SandboxEnv } from './env';

export type Json = Record<string, unknown>;

export interface GraphCall {
  readonly method: string;
  /** Path below `/v1.0`, already split into decoded segments. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** Pseudo app id derived from the bearer token (the token itself is never stored or echoed). */
  readonly appId: string;
  /** `http://127.0.0.1:PORT`, used for `@odata.nextLink` / `@odata.deltaLink` / `@odata.context`. */
  readonly origin: string;
  /** Path below `/v1.0` as sent (for links that keep the query). */
  readonly rawPath: string;
  readonly inBatch: boolean;
  readonly requestId: string;
  readonly clientRequestId: string;
}

export interface GraphResult {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** JSON body, or a string sent as text/plain (e.g. `/$count`). */
  readonly body?: unknown;
}

export interface RouteContext {
  readonly call: GraphCall;
  readonly params: readonly string[];
  readonly env: SandboxEnv;
}

export type Handler = (ctx: RouteContext) => GraphResult | Promise<GraphResult>;

export function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
