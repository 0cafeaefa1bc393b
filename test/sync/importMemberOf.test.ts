import { describe, expect, it } from 'vitest';

import { importMemberOf } from '../../shared/sync/importMemberOf';
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
});
