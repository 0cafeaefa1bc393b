/**
 * One Graph request, top level or inside `$batch`: route match → stats → auth → latency → injected faults →
 * throttling → handler → lost-response faults. Errors become Graph error bodies; everything answers with request-id
 * headers.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { SandboxEnv } from './env';
import { errorBody, errorResult, GraphError, THROTTLED_INNER } from './errors';
import { ConnectionReset } from './faults';
import type { FaultRule } from './knobs';
import type { MatchResult, RouteDef, RouteMatch, Router } from './router';
import { formatRetryAfter, type ThrottleVerdict } from './throttling';
import type { GraphCall, GraphResult } from './types';

export interface GraphInput {
  readonly method: string;
  /** Request target, with or without the `/v1.0` prefix, with query. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** The raw bearer token (undefined when missing); only its hash is kept. */
  readonly token: string | undefined;
  readonly origin: string;
  readonly inBatch: boolean;
  /** The top-level body was not valid JSON (answered 400 after the request is counted and authenticated). */
  readonly invalidJson?: boolean;
}

export type PipelineOutcome = GraphResult | { readonly reset: true };

/** Stable pseudo app id per token, GUID-shaped like an appId in `x-ms-throttle-scope`. */
export function appIdFor(token: string): string {
  const h = createHash('sha256').update(token).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function splitTarget(url: string): { path: string; search: string } {
  let target = url.replace(/^https?:\/\/[^/]+/i, '');
  if (!target.startsWith('/')) target = `/${target}`;
  target = target.replace(/^\/v1\.0(?=\/|\?|$)/i, '');
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  return { path: path.length === 0 ? '/' : path, search: q < 0 ? '' : target.slice(q + 1) };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function resourceUnits(base: number, write: boolean, query: URLSearchParams): number {
  if (write) return 1;
  let ru = base;
  if (query.has('$select')) ru -= 1;
  if (query.has('$expand')) ru += 1;
  const top = query.get('$top');
  if (top !== null && Number(top) < 20) ru -= 1;
  return Math.max(1, ru);
}

const FAULT_ERRORS: Record<Exclude<FaultRule['kind'], 'reset'>, [number, string, string]> = {
  // A token Graph no longer accepts (revoked, or the app lost a permission since it was issued).
  '401': [401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'],
  // What the directory answers an app that lacks the permission or role (concepts/errors.md, 403 Forbidden).
  '403': [403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'],
  '429': [429, 'TooManyRequests', 'Please retry again later.'],
  '500': [500, 'InternalServerError', 'An internal server error occurred while processing the request.'],
  '502': [502, 'BadGateway', 'The server received an invalid response from an upstream server.'],
  '503': [503, 'ServiceUnavailable', 'Service is temporarily unavailable. Please retry again later.'],
  '504': [504, 'GatewayTimeout', 'The gateway did not receive a timely response from the upstream server.'],
};

/** A request's ids and how to answer it with a Graph error carrying them. */
interface RequestIds {
  readonly requestId: string;
  readonly clientRequestId: string;
  readonly baseHeaders: Record<string, string>;
  fail(err: GraphError): GraphResult;
}

function requestIds(input: GraphInput): RequestIds {
  const requestId = randomUUID();
  const clientRequestId = input.headers['client-request-id'] ?? requestId;
  const baseHeaders = { 'request-id': requestId, 'client-request-id': clientRequestId };
  const fail = (err: GraphError): GraphResult => {
    const r = errorResult(err, requestId, clientRequestId);
    return { ...r, headers: { ...baseHeaders, ...r.headers } };
  };
  return { requestId, clientRequestId, baseHeaders, fail };
}

/** Path segments with OData key syntax unfolded, or the 400 Graph gives a `$`-UPN outside key syntax. */
function pathSegments(path: string): string[] | GraphError {
  const segments: string[] = [];
  for (const raw of path.split('/').filter((s) => s.length > 0)) {
    // OData key syntax: `users('$adele@contoso.com')` addresses the same object as `users/{key}`.
    const keyed = /^([A-Za-z]+)\('((?:[^']|'')*)'\)$/.exec(raw);
    if (keyed?.[1] && keyed[2] !== undefined) {
      segments.push(keyed[1], decodeSegment(keyed[2]).replace(/''/g, "'"));
      continue;
    }
    const segment = decodeSegment(raw);
    // user-get.md: a UPN starting with `$` must use the key syntax; in a plain path `$` names a system segment.
    if (
      segments.length === 1 &&
      segments[0]?.toLowerCase() === 'users' &&
      segment.startsWith('$') &&
      !/^\$(count|ref|batch)$/i.test(segment)
    ) {
      return new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
    }
    segments.push(segment);
  }
  return segments;
}

/** What an injected fault answers: a dropped connection, or Graph's error body for the status. */
function injectedOutcome(env: SandboxEnv, ids: RequestIds, fault: FaultRule): PipelineOutcome {
  if (fault.kind === 'reset') return { reset: true };
  const [status, code, message] = FAULT_ERRORS[fault.kind];
  if (status === 429) env.stats.throttled();
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined && (status === 429 || status === 503))
    headers['Retry-After'] = String(fault.retryAfterSeconds);
  return ids.fail(new GraphError(status, code, message, headers, status === 429 ? THROTTLED_INNER : {}));
}

/** Refusals before faults and the route: a missing token, unreadable JSON. */
function requestRefusal(input: GraphInput): GraphError | undefined {
  if (!input.inBatch && !input.token) return new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
  if (input.invalidJson) {
    return new GraphError(
      400,
      'BadRequest',
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
    );
  }
  return undefined;
}

/** An unknown path (400) or a known path with another method (405). */
function routeRefusal(matched: Exclude<MatchResult, { kind: 'match' }>, segments: readonly string[]): GraphError {
  if (matched.kind === 'none') {
    const unknown = segments[segments.length - 1] ?? '';
    return new GraphError(400, 'BadRequest', `Resource not found for the segment '${unknown}'.`);
  }
  return new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
}

/** Route match → stats → auth → latency → injected faults → throttling → handler (→ lost-response faults). */
export async function runGraph(env: SandboxEnv, router: Router, input: GraphInput): Promise<PipelineOutcome> {
  const ids = requestIds(input);
  const { path, search } = splitTarget(input.url);
  const segments = pathSegments(path);
  if (segments instanceof GraphError) {
    env.stats.count('GET /users/{id}', input.inBatch);
    return ids.fail(segments);
  }
  const matched = router.match(input.method.toUpperCase(), segments);
  const template = matched.kind === 'match' ? matched.match.template : matched.template;
  env.stats.count(template, input.inBatch);
  const refused = requestRefusal(input);
  if (refused) return ids.fail(refused);

  // A $batch carries no latency of its own: each item gets one, and items run concurrently.
  const { min, max } = env.knobs.latencyMs;
  if (max > 0 && template !== 'POST /$batch') await sleep(env.scaled(min + Math.random() * (max - min)));

  const fault = env.faults.take(template, input.inBatch);
  if (fault) return injectedOutcome(env, ids, fault);
  if (matched.kind !== 'match') return ids.fail(routeRefusal(matched, segments));
  const call: GraphCall = {
    method: matched.match.def.method,
    segments,
    query: new URLSearchParams(search),
    headers: input.headers,
    body: input.body,
    appId: appIdFor(input.token ?? 'anonymous'),
    origin: input.origin,
    rawPath: search.length > 0 ? `${path}?${search}` : path,
    inBatch: input.inBatch,
    requestId: ids.requestId,
    clientRequestId: ids.clientRequestId,
  };
  return chargeAndRun(env, ids, matched.match, call);
}

/** Charges the throttling budget; a refused request answers 429 with Graph's throttling headers. */
function charge(env: SandboxEnv, def: RouteDef, call: GraphCall): ThrottleVerdict {
  const write = def.write ?? def.method !== 'GET';
  return env.throttler.charge({
    cls: def.throttle,
    appId: call.appId,
    tenantId: env.state.tenant.id,
    userCount: env.state.users.size,
    ru: resourceUnits(def.cost ?? 1, write, call.query),
    write,
  });
}

/** Throttling, then the handler; a lost-response fault may replace the answer of a request that was applied. */
async function chargeAndRun(env: SandboxEnv, ids: RequestIds, match: RouteMatch, call: GraphCall): Promise<PipelineOutcome> {
  const { def, params, template } = match;
  const verdict = charge(env, def, call);
  if (!verdict.ok) {
    env.stats.throttled();
    const headers = { ...verdict.headers };
    if (verdict.retryAfterSeconds !== undefined) headers['Retry-After'] = formatRetryAfter(verdict.retryAfterSeconds);
    return ids.fail(new GraphError(429, 'TooManyRequests', 'Please retry again later.', headers, THROTTLED_INNER));
  }
  // Per-object write counts (GET /_sandbox/stats/writes) tell a write sent twice from more writes.
  if ((def.write ?? def.method !== 'GET') && template !== 'POST /$batch') {
    env.stats.countWrite(def.method, call.rawPath.split('?')[0] ?? call.rawPath, call.body);
  }
  try {
    const result = await def.handler({ call, params, env });
    // A fault after the handler: the write happened, the client never sees the answer.
    const lost = env.faults.take(template, call.inBatch, 'after');
    if (lost) return injectedOutcome(env, ids, lost);
    return { ...result, headers: { ...ids.baseHeaders, ...verdict.headers, ...result.headers } };
  } catch (err) {
    // A `$batch` whose item drew a reset: every item ran, then the connection carrying the batch drops.
    if (err instanceof ConnectionReset) return { reset: true };
    if (err instanceof GraphError)
      return { ...ids.fail(err), headers: { ...ids.baseHeaders, ...verdict.headers, ...err.headers } };
    process.stderr.write(
      `graph sandbox: ${call.method} ${template} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return {
      status: 500,
      headers: ids.baseHeaders,
      body: errorBody('InternalServerError', 'The sandbox failed to process the request.', ids.requestId, ids.clientRequestId),
    };
  }
}
