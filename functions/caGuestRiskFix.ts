import { z } from 'zod';

import { applyGuestRiskFix, planGuestRiskFix, requirePlanId } from '../shared/conditional-access/guestRiskFix';
import { httpHandler } from '../shared/http/handler';
import { readJson } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { guestRiskFixDeps } from '../shared/runtime/conditionalAccess';
import { httpFunction } from '../shared/runtime/definitions';

const body = z.strictObject({
  policyIds: z.array(z.string().trim().min(1).max(64)).min(1).max(200).optional(),
  dryRun: z.boolean().default(true),
  /** The plan a dry run returned; applying always applies a plan someone has seen. */
  planId: z.uuid().optional(),
});

/** Plans (dry run, the default) or applies the guest-risk fix: exclude the dynamic all-guests group from risk policies. */
export const caGuestRiskFixHandler = httpHandler(async ({ request, services, caller }) => {
  const b = await readJson(request, body);
  const deps = guestRiskFixDeps(services);
  if (b.dryRun) {
    const plan = await planGuestRiskFix(deps, { actor: caller.name, ...(b.policyIds ? { policyIds: b.policyIds } : {}) });
    return json(200, { dryRun: true, ...plan });
  }
  return json(200, { dryRun: false, ...(await applyGuestRiskFix(deps, requirePlanId(b.planId), caller.name)) });
});

export const caGuestRiskFix = httpFunction('caGuestRiskFix', {
  route: 'ca/guest-risk',
  methods: ['POST'],
  authLevel: 'function',
  handler: caGuestRiskFixHandler,
});
