import { describe, expect, it } from 'vitest';

import { importMemberOf } from '../../shared/sync/importMemberOf';
import { jobInputSchema } from '../../shared/sync/jobModel';
import { jobDeps, world } from './fakes';

function tenant() {
  const w = world();
  const sales = w.dir.group(1, [], { displayName: 'Sales' });
  const marketing = w.dir.group(2, [], { displayName: 'Marketing' });
  const exact = w.dir.group(10, [], {
    displayName: 'Sales and Marketing',
    groupTypes: ['DynamicMembership'],
    membershipRule: `user.memberof -any (group.objectId -in ['${sales}', '${marketing}'])`,
  });
  const mixed = w.dir.group(11, [], {
    displayName: 'Sales managers',
    groupTypes: ['DynamicMembership'],
    membershipRule: `user.memberof -any (group.objectId -in ['${sales}']) -and (user.jobTitle -eq "Manager")`,
  });
  w.dir.group(12, [], {
    displayName: 'All guests',
    groupTypes: ['DynamicMembership'],
    membershipRule: '(user.userType -eq "Guest")',
  });
  return { w, sales, marketing, exact, mixed };
}

describe('importMemberOf', () => {
  it('proposes a disabled mirror job per exact memberOf rule and skips rules with other conditions', async () => {
    const { w, sales, marketing, exact, mixed } = tenant();
    const result = await importMemberOf(jobDeps(w), { dryRun: true, actor: 'me' });
    expect(result.proposals.map((p) => [p.group.id, p.status])).toEqual([
      [exact, 'proposed'],
      [mixed, 'skipped'],
    ]);
    expect(result.proposals[0]?.job).toMatchObject({
      target: exact,
      mode: 'mirror',
      enabled: false,
      includeDisabled: true,
      // A mirror job is never created without a removal limit: an empty source read must not empty the group.
      limits: { maxRemovalPercent: 20 },
      sources: [
        { group: sales, transitive: false },
        { group: marketing, transitive: false },
      ],
    });
    expect(result.proposals[1]?.reason).toContain('besides memberOf');
    expect(await w.jobs.list()).toEqual([]);
  });

  it('creates the jobs when not a dry run, and reports them as existing the next time', async () => {
    const { w, exact } = tenant();
    const created = await importMemberOf(jobDeps(w), { dryRun: false, actor: 'me' });
    expect(created.proposals[0]).toMatchObject({ status: 'created', group: { id: exact } });
    const [job] = await w.jobs.list();
    expect(job).toMatchObject({ target: exact, enabled: false, mode: 'mirror' });
    const again = await importMemberOf(jobDeps(w), { dryRun: false, actor: 'me' });
    expect(again.proposals[0]).toMatchObject({ status: 'exists', jobId: job?.jobId });
    expect(await w.jobs.list()).toHaveLength(1);
  });

  it('keeps a removal limit the caller set explicitly, and gives mirror jobs without one the default', async () => {
    const base = { name: 'j', target: 'Target', sources: [{ group: 'Source' }] };
    expect(jobInputSchema.parse({ ...base, mode: 'mirror' }).limits).toEqual({ maxRemovalPercent: 20 });
    expect(jobInputSchema.parse({ ...base, mode: 'mirror', limits: { maxRemovals: 500 } }).limits).toEqual({ maxRemovals: 500 });
    expect(jobInputSchema.parse({ ...base, mode: 'mirror', limits: { maxRemovalPercent: 100 } }).limits).toEqual({
      maxRemovalPercent: 100,
    });
    expect(jobInputSchema.parse({ ...base, mode: 'additive' }).limits).toEqual({});
  });
});
