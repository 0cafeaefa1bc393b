import { z } from 'zod';

import { requestExclusion } from '../shared/conditional-access/exclusions';
import { httpHandler } from '../shared/http/handler';
import { readJson } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { exclusionDeps } from '../shared/runtime/conditionalAccess';
import { httpFunction } from '../shared/runtime/definitions';

const body = z.strictObject({
  policyId: z.string().trim().min(1).max(64),
  user: z.string().trim().min(1).max(256),
  expiresAt: z.iso.datetime({ offset: true }),
  reason: z.string().trim().min(3).max(500),
  dryRun: z.boolean().default(true),
  /** The plan of a dry run; needed when the exclusion creates the policy's exclusion group or adds it to the policy. */
  planId: z.uuid().optional(),
});

export const caExclusionsCreateHandler = httpHandler(async ({ request, services, caller }) => {
  const b = await readJson(request, body);
  const { planId, ...rest } = b;
  const result = await requestExclusion(exclusionDeps(services), { ...rest, ...(planId ? { planId } : {}) }, caller.name);
  return json(result.dryRun ? 200 : 201, result);
});

export const caExclusionsCreate = httpFunction('caExclusionsCreate', {
  route: 'ca/exclusions',
  methods: ['POST'],
  authLevel: 'function',
  handler: caExclusionsCreateHandler,
});
