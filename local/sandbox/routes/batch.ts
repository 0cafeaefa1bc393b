/**
 * POST /$batch (json-batching.md): up to 20 requests, unique ids, `dependsOn` (a failed dependency gives its
 * dependents 424), items run concurrently otherwise; each item goes through the full pipeline (faults, throttling,
 * latency, stats). The outer response is 200 even when items fail.
 */
import { GraphError } from '../errors';
import { ConnectionReset } from '../faults';
import type { GraphInput, PipelineOutcome } from '../pipeline';
import type { RouteDef } from '../router';
import { isJsonObject, type Json } from '../types';
import { jsonBody } from './common';

const MAX_REQUESTS = 20;
const METHODS = new Set(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']);

interface BatchRequest {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly dependsOn: readonly string[];
}

interface BatchResponse {
  readonly id: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

const invalidBatch = (message: string): GraphError => new GraphError(400, 'BadRequest', message);

function parseRequests(body: Json): BatchRequest[] {
  const raw = body.requests;
  if (!Array.isArray(raw)) throw invalidBatch("Invalid batch payload: 'requests' must be an array.");
  if (raw.length === 0) throw invalidBatch('Invalid batch payload: the batch contains no requests.');
  if (raw.length > MAX_REQUESTS)
    throw invalidBatch(`Invalid batch payload: a batch can contain at most ${MAX_REQUESTS} requests (got ${raw.length}).`);
  const seen = new Set<string>();
  const requests = raw.map((item, index): BatchRequest => {
    if (!isJsonObject(item)) throw invalidBatch(`Invalid batch payload: request ${index} is not an object.`);
    const id = typeof item.id === 'number' ? String(item.id) : item.id;
    if (typeof id !== 'string' || id.length === 0) throw invalidBatch(`Invalid batch payload: request ${index} has no id.`);
    if (seen.has(id)) throw invalidBatch(`Invalid batch payload: request id '${id}' is used more than once.`);
    if (typeof item.method !== 'string' || !METHODS.has(item.method.toUpperCase()))
      throw invalidBatch(`Invalid batch payload: request '${id}' has an invalid method.`);
    if (typeof item.url !== 'string' || item.url.length === 0)
      throw invalidBatch(`Invalid batch payload: request '${id}' has no url.`);
    const headers: Record<string, string> = {};
    if (item.headers !== undefined) {
      if (!isJsonObject(item.headers)) throw invalidBatch(`Invalid batch payload: headers of request '${id}' must be an object.`);
      for (const [k, v] of Object.entries(item.headers)) headers[k.toLowerCase()] = String(v);
    }
    const dependsOn = item.dependsOn ?? [];
    if (!Array.isArray(dependsOn) || !dependsOn.every((d): d is string => typeof d === 'string')) {
      throw invalidBatch(`Invalid batch payload: dependsOn of request '${id}' must be an array of ids.`);
    }
    // Dependencies must point at earlier requests, which also rules out cycles.
    for (const d of dependsOn)
      if (!seen.has(d)) throw invalidBatch(`Invalid batch payload: request '${id}' depends on unknown or later request '${d}'.`);
    seen.add(id);
    return { id, method: item.method.toUpperCase(), url: item.url, headers, body: item.body, dependsOn };
  });
  assertNotMixed(requests);
  return requests;
}

/**
 * json-batching.md: "Batch should be either fully sequential or fully parallel." Graph refuses a batch in which some
 * requests use `dependsOn` and others (beyond the first, which has nothing to depend on) do not, with this message.
 */
function assertNotMixed(requests: readonly BatchRequest[]): void {
  const sequential = requests.slice(1).filter((r) => r.dependsOn.length > 0).length;
  if (sequential > 0 && sequential < requests.length - 1) {
    throw invalidBatch('Batch should be either fully sequential or fully parallel.');
  }
}

function toResponse(id: string, outcome: PipelineOutcome): BatchResponse | 'reset' {
  if ('reset' in outcome) return 'reset';
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(outcome.headers ?? {})) headers[k] = v;
  if (outcome.body === undefined) return { id, status: outcome.status, headers };
  if (typeof outcome.body === 'string')
    return { id, status: outcome.status, headers: { 'content-type': 'text/plain', ...headers }, body: outcome.body };
  return { id, status: outcome.status, headers: { 'content-type': 'application/json', ...headers }, body: outcome.body };
}

/** Items Graph refuses without running them: a body without Content-Type, a nested `$batch`. */
function itemRefusal(req: BatchRequest): BatchResponse | undefined {
  const refuse = (message: string): BatchResponse => ({
    id: req.id,
    status: 400,
    headers: { 'content-type': 'application/json' },
    body: { error: { code: 'BadRequest', message } },
  });
  if (req.body !== undefined && req.headers['content-type'] === undefined)
    return refuse('A Content-Type header is required for a request with a body.');
  if (/^\/?(v1\.0\/)?\$batch/i.test(req.url.replace(/^https?:\/\/[^/]+/i, '')))
    return refuse('Nested $batch requests are not supported.');
  return undefined;
}

export type RunItem = (input: GraphInput) => Promise<PipelineOutcome>;

export function batchRoute(run: RunItem, token: (headers: Readonly<Record<string, string>>) => string | undefined): RouteDef {
  return {
    method: 'POST',
    path: '/$batch',
    throttle: 'none',
    write: false,
    handler: async ({ call }) => {
      const requests = parseRequests(jsonBody(call));
      const results = new Map<string, Promise<BatchResponse>>();
      let reset = false;
      for (const req of requests) {
        const deps = req.dependsOn.map((d) => results.get(d)).filter((p): p is Promise<BatchResponse> => p !== undefined);
        results.set(
          req.id,
          (async (): Promise<BatchResponse> => {
            const done = await Promise.all(deps);
            if (done.some((r) => r.status >= 400)) {
              return {
                id: req.id,
                status: 424,
                headers: { 'content-type': 'application/json' },
                body: { error: { code: 'FailedDependency', message: 'A request this request depends on failed.' } },
              };
            }
            const refused = itemRefusal(req);
            if (refused) return refused;
            const outcome = await run({
              method: req.method,
              url: req.url,
              headers: req.headers,
              body: req.body,
              token: token(call.headers),
              origin: call.origin,
              inBatch: true,
            });
            const response = toResponse(req.id, outcome);
            if (response !== 'reset') return response;
            // Dependents see a failure; the client sees none of it, as the whole connection drops below.
            reset = true;
            return { id: req.id, status: 500, headers: {} };
          })(),
        );
      }
      const responses = await Promise.all(
        requests.map((r) => results.get(r.id) ?? Promise.reject(new Error('missing batch result'))),
      );
      if (reset) throw new ConnectionReset();
      return { status: 200, body: { responses } };
    },
  };
}
