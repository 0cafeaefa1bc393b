/**
 * memberOf import: finds dynamic groups whose rule uses `memberOf` (no longer evaluated since Microsoft retired it) and
 * proposes one mirror job per group with the rule's groups as sources. With `dryRun: false` it creates the jobs,
 * disabled: the group is still dynamic, so the admin converts it to assigned membership and then enables the job.
 */

import { AppError } from '../errors';
import { jobInputSchema, type SyncJobInput } from './jobModel';
import { createJob, type JobDeps } from './jobs';
import { parseMemberOfRule, usesMemberOf } from './memberOf';

export interface MemberOfProposal {
  readonly group: { readonly id: string; readonly displayName: string };
  readonly rule: string;
  readonly exact: boolean;
  readonly status: 'proposed' | 'created' | 'exists' | 'skipped' | 'failed';
  readonly reason?: string;
  readonly job?: SyncJobInput;
  readonly jobId?: string;
}

export interface MemberOfImport {
  readonly dryRun: boolean;
  readonly proposals: readonly MemberOfProposal[];
  readonly nextSteps: readonly string[];
}

export const MEMBEROF_STEPS: readonly string[] = [
  'Review each proposal: the sources are the groups named in the memberOf rule, mode mirror, the job disabled.',
  'Call POST /api/sync/import-memberof?dryRun=false to create the jobs (groups whose rule has other conditions are skipped: write those jobs by hand).',
  "Convert each group to assigned membership: Entra admin center > Groups > the group > Properties > Membership type: Assigned > Save (the current members stay), or PATCH /groups/{id} with groupTypes without 'DynamicMembership'.",
  'Run each job with POST /api/sync/jobs/{jobId}/run?dryRun=true and check the plan; set limits if you want a safety margin.',
  'Enable the job (PUT /api/sync/jobs/{jobId} with "enabled": true and a schedule); the timer keeps the group in step from then on.',
];

export async function importMemberOf(deps: JobDeps, options: { dryRun: boolean; actor: string }): Promise<MemberOfImport> {
  const groups = (await deps.directory.listDynamicGroups()).filter((g) => usesMemberOf(g.membershipRule));
  const jobs = await deps.jobs.list();
  const proposals: MemberOfProposal[] = [];
  for (const group of groups.sort((a, b) => a.displayName.localeCompare(b.displayName))) {
    const rule = group.membershipRule ?? '';
    const ref = { id: group.id, displayName: group.displayName };
    const parsed = parseMemberOfRule(rule);
    if (!parsed) {
      proposals.push({
        group: ref,
        rule,
        exact: false,
        status: 'skipped',
        reason: 'memberOf is used in a form this import does not read',
      });
      continue;
    }
    // A dynamic rule includes disabled accounts and both user types; the job must too to reproduce it.
    const job = jobInputSchema.parse({
      name: `memberOf: ${group.displayName}`.slice(0, 128),
      target: group.id,
      sources: parsed.groupIds.map((id) => ({ group: id, transitive: false })),
      mode: 'mirror',
      memberTypes: [parsed.memberType],
      userType: 'any',
      includeDisabled: true,
      enabled: false,
    });
    const existing = jobs.find((j) => j.target === group.id);
    if (existing) {
      proposals.push({
        group: ref,
        rule,
        exact: parsed.exact,
        status: 'exists',
        jobId: existing.jobId,
        reason: `job '${existing.name}' already writes this group`,
      });
      continue;
    }
    if (!parsed.exact) {
      proposals.push({
        group: ref,
        rule,
        exact: false,
        status: 'skipped',
        ...(parsed.reason ? { reason: parsed.reason } : {}),
        job,
      });
      continue;
    }
    if (options.dryRun) {
      proposals.push({ group: ref, rule, exact: true, status: 'proposed', job });
      continue;
    }
    try {
      const created = await createJob(deps, job, options.actor);
      proposals.push({ group: ref, rule, exact: true, status: 'created', job, jobId: created.jobId });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      proposals.push({ group: ref, rule, exact: true, status: 'failed', job, reason: `${err.code}: ${err.message}` });
    }
  }
  return { dryRun: options.dryRun, proposals, nextSteps: MEMBEROF_STEPS };
}
