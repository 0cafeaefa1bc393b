import { httpHandler } from '../shared/http/handler';
import { parseWith, readJson } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { adminRequest, idempotencyKeyHeader, remediationBody, requestView } from '../shared/remediation/api';
import { submit } from '../shared/remediation/run';
import { httpFunction } from '../shared/runtime/definitions';
import { privilegedLookup, remediationRunDeps, runnerId } from '../shared/runtime/remediation';

/**
 * `POST /api/remediations` (`{userId, action, reason}`, optional `Idempotency-Key` header): the ticket path without a
 * ticket: allow-list, pre-flight, the action, audit. 200 with the finished request, 202 while it waits its turn.
 */
export const remediationsPostHandler = httpHandler(async ({ request, services, caller, log, context }) => {
  const body = await readJson(request, remediationBody);
  const header = request.headers.get('idempotency-key');
  const key = header === null ? undefined : parseWith(idempotencyKeyHeader, header, 'INVALID_HEADER', 'Idempotency-Key header');
  const deps = remediationRunDeps(services, log, privilegedLookup(services));
  const result = await submit(deps, adminRequest(body, caller.name, key, new Date()), runnerId(context.invocationId));
  const finished = result.request.state !== 'queued' && result.request.state !== 'running';
  return json(finished ? 200 : 202, requestView(result.request, services.config.remediation.publicBaseUrl), {
    'cache-control': 'no-store',
  });
});

export const remediationsPost = httpFunction('remediationsPost', {
  route: 'remediations',
  methods: ['POST'],
  authLevel: 'function',
  handler: remediationsPostHandler,
});
