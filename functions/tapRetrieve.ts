import { notFound } from '../shared/errors';
import { httpHandler } from '../shared/http/handler';
import { readParams } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { passVault } from '../shared/runtime/remediation';
import { retrievalParams } from '../shared/tap/api';

/** `GET /api/taps/{retrievalId}`: a pass or temporary password, once; admins only (it hands out a credential). */
export const tapRetrieveHandler = httpHandler(async ({ request, services, caller }) => {
  const { retrievalId } = readParams(request, retrievalParams);
  const secret = await passVault(services).take(retrievalId, new Date());
  if (!secret)
    throw notFound('RETRIEVAL_NOT_FOUND', 'No such secret: it was already retrieved, it expired, or the link is wrong');
  await services.audit.write([
    {
      action: 'secret.retrieve',
      outcome: 'succeeded',
      actor: caller.name,
      target: secret.userId,
      details: { kind: secret.kind },
    },
  ]);
  return json(200, secret, { 'cache-control': 'no-store' });
}, 'write');

export const tapRetrieve = httpFunction('tapRetrieve', {
  route: 'taps/{retrievalId}',
  methods: ['GET'],
  authLevel: 'function',
  handler: tapRetrieveHandler,
});
