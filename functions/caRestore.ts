import { z } from 'zod';

import { BACKUP_ID } from '../shared/conditional-access/backupModel';
import { POLICY_STATES } from '../shared/conditional-access/model';
import { applyRestore, planRestore } from '../shared/conditional-access/restore';
import { badRequest } from '../shared/errors';
import { httpHandler } from '../shared/http/handler';
import { readJson } from '../shared/http/parse';
import { json } from '../shared/http/respond';
import { restoreDeps } from '../shared/runtime/conditionalAccess';
import { httpFunction } from '../shared/runtime/definitions';

const body = z.strictObject({
  backupId: z.string().regex(BACKUP_ID, 'must be a backup id such as 20261202T020000Z-1a2b3c'),
  policyIds: z.array(z.string().min(1).max(64)).min(1).max(500).optional(),
  dryRun: z.boolean().default(true),
  state: z.enum(POLICY_STATES as [string, ...string[]]).default('enabledForReportingButNotEnforced'),
  /** The plan a dry run returned; applying always applies a plan someone has seen. */
  planId: z.uuid().optional(),
});

export const caRestoreHandler = httpHandler(async ({ request, services, caller }) => {
  const b = await readJson(request, body);
  const deps = restoreDeps(services);
  if (b.dryRun) {
    const state = b.state as (typeof POLICY_STATES)[number];
    const plan = await planRestore(deps, {
      backupId: b.backupId,
      state,
      actor: caller.name,
      ...(b.policyIds ? { policyIds: b.policyIds } : {}),
    });
    return json(200, { dryRun: true, ...plan });
  }
  if (!b.planId) throw badRequest('PLAN_REQUIRED', 'Run a dry run first and send its planId with dryRun=false');
  const applied = await applyRestore(deps, b.planId, b.backupId, caller.name);
  return json(200, { dryRun: false, ...applied });
});

export const caRestore = httpFunction('caRestore', {
  route: 'ca/restore',
  methods: ['POST'],
  authLevel: 'function',
  handler: caRestoreHandler,
});
