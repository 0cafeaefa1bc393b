import { z } from 'zod';

import { endExclusion } from '../shared/conditional-access/exclusions';
import { badRequest } from '../shared/errors';
import { httpHandler } from '../shared/http/handler';
import { json } from '../shared/http/respond';
import { exclusionDeps } from '../shared/runtime/conditionalAccess';
import { httpFunction } from '../shared/runtime/definitions';

export const caExclusionsDeleteHandler = httpHandler(async ({ request, services, caller }) => {
  const id = z.uuid().safeParse(request.params.exclusionId);
  if (!id.success) throw badRequest('INVALID_EXCLUSION_ID', 'exclusionId must be the id an exclusion was created with');
  return json(200, await endExclusion(exclusionDeps(services), id.data, caller.name));
});

export const caExclusionsDelete = httpFunction('caExclusionsDelete', {
  route: 'ca/exclusions/{exclusionId}',
  methods: ['DELETE'],
  authLevel: 'function',
  handler: caExclusionsDeleteHandler,
});
