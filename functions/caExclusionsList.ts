import { listActiveExclusions } from '../shared/conditional-access/exclusions';
import { httpHandler } from '../shared/http/handler';
import { json } from '../shared/http/respond';
import { exclusionDeps } from '../shared/runtime/conditionalAccess';
import { httpFunction } from '../shared/runtime/definitions';

export const caExclusionsListHandler = httpHandler(async ({ services }) => {
  return json(200, { value: await listActiveExclusions(exclusionDeps(services).store) });
});

export const caExclusionsList = httpFunction('caExclusionsList', {
  route: 'ca/exclusions',
  methods: ['GET'],
  authLevel: 'function',
  handler: caExclusionsListHandler,
});
