import { checkGuestRisk } from '../shared/conditional-access/guestRisk';
import { httpHandler } from '../shared/http/handler';
import { json } from '../shared/http/respond';
import { caGraph } from '../shared/runtime/conditionalAccess';
import { httpFunction } from '../shared/runtime/definitions';

/** Read-only: risk policies that include guests without excluding them, each with the offered fix. */
export const caGuestRiskHandler = httpHandler(async ({ services }) => {
  const ca = caGraph(services);
  return json(200, await checkGuestRisk({ policies: ca, groups: ca }));
});

export const caGuestRisk = httpFunction('caGuestRisk', {
  route: 'ca/guest-risk',
  methods: ['GET'],
  authLevel: 'function',
  handler: caGuestRiskHandler,
});
