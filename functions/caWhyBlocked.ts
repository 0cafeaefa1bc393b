import { z } from 'zod';

import { whyBlocked } from '../shared/conditional-access/whyBlocked';
import { httpHandler } from '../shared/http/handler';
import { readQuery } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { whyBlockedDeps } from '../shared/runtime/conditionalAccess';
import { httpFunction } from '../shared/runtime/definitions';

const query = z.strictObject({
  user: z.string().trim().min(1, 'give a userPrincipalName or object id').max(256),
  correlationId: z.uuid('must be a GUID').optional(),
  since: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
    .transform((s) => new Date(s))
    .optional(),
});

export const caWhyBlockedHandler = httpHandler(async ({ request, services }) => {
  const q = readQuery(request, query);
  return json(200, await whyBlocked(whyBlockedDeps(services), q));
});

export const caWhyBlocked = httpFunction('caWhyBlocked', {
  route: 'ca/why-blocked',
  methods: ['GET'],
  authLevel: 'function',
  handler: caWhyBlockedHandler,
});
