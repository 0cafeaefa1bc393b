/**
 * memberOf import: finds dynamic groups whose rule uses `memberOf` (no longer evaluated since Microsoft retired it) and
 * proposes one mirror job per group with the rule's groups as sources. With `dryRun: false` it creates the jobs,
 * disabled: the group is still dynamic, so the admin converts it to assigned membership and then enables the job.
 */

import { AppError } from '../errors';
import { jobInputSchema, type SyncJob, type SyncJobInput } from './jobModel';
import { createJob, type JobDeps } from './jobs';
import { parseMemberOfRule, usesMemberOf } from './memberOf';
import type { GroupInfo } from './ports';

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
    const proposal = proposeJob(group, jobs);
    proposals.push(
      proposal.status === 'proposed' && !options.dryRun ? await createProposed(deps, proposal, options.actor) : proposal,
    );
  }
  return { dryRun: options.dryRun, proposals, nextSteps: MEMBEROF_STEPS };
}

/** What the import would do for one dynamic group (pure): propose a job, or say why not. */
export function proposeJob(group: GroupInfo, jobs: readonly SyncJob[]): MemberOfProposal {
  const rule = group.membershipRule ?? '';
  const ref = { group: { id: group.id, displayName: group.displayName }, rule };
  const parsed = parseMemberOfRule(rule);
  if (!parsed) return { ...ref, exact: false, status: 'skipped', reason: 'memberOf is used in a form this import does not read' };
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
    const reason = `job '${existing.name}' already writes this group`;
    return { ...ref, exact: parsed.exact, status: 'exists', jobId: existing.jobId, reason };
  }
  if (!parsed.exact) return { ...ref, exact: false, status: 'skipped', ...(parsed.reason ? { reason: parsed.reason } : {}), job };
  return { ...ref, exact: true, status: 'proposed', job };
}

/** Creates the proposed job (disabled); a refusal (a clash found since) is reported on the proposal. */
async function createProposed(deps: JobDeps, proposal: MemberOfProposal, actor: string): Promise<MemberOfProposal> {
  if (!proposal.job) return proposal;
  try {
    const created = await createJob(deps, proposal.job, actor);
    return { ...proposal, status: 'created', jobId: created.jobId };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { ...proposal, status: 'failed', reason: `${err.code}: ${err.message}` };
  }
}
