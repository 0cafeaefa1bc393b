import { describe, expect, it } from 'vitest';

import { describeViolations, fanOutWarning, limitViolations, targetProblems, targetWarnings } from '../../shared/sync/guardrails';
import type { GroupInfo } from '../../shared/sync/ports';

const plan = (adds: number, removes: number) => ({
  add: Array.from({ length: adds }, (_, i) => `a${i}`),
  remove: Array.from({ length: removes }, (_, i) => `r${i}`),
});
const group = (g: Partial<GroupInfo>): GroupInfo => ({
  id: 'g',
  displayName: 'G',
  groupTypes: [],
  mailEnabled: false,
  securityEnabled: true,
  onPremisesSyncEnabled: null,
  isAssignableToRole: null,
  membershipRule: null,
  ...g,
});

describe('limitViolations', () => {
  it('passes a plan within every limit, limits included exactly', () => {
    expect(limitViolations(plan(5, 2), { maxAdds: 5, maxRemovals: 2, maxRemovalPercent: 20 }, 10)).toEqual([]);
  });

  it('reports maxAdds, maxRemovals and maxRemovalPercent with allowed and planned values', () => {
    const v = limitViolations(plan(6, 3), { maxAdds: 5, maxRemovals: 2, maxRemovalPercent: 20 }, 10);
    expect(v).toEqual([
      { limit: 'maxAdds', allowed: 5, planned: 6 },
      { limit: 'maxRemovals', allowed: 2, planned: 3 },
      { limit: 'maxRemovalPercent', allowed: 20, planned: 30 },
    ]);
    expect(describeViolations(v)).toContain('over maxRemovalPercent 20');
  });

  it('ignores limits that are not set', () => {
    expect(limitViolations(plan(1000, 1000), {}, 1000)).toEqual([]);
  });
});

describe('targetProblems', () => {
  it.each([
    [{ groupTypes: ['DynamicMembership'] }, 'SYNC_TARGET_DYNAMIC'],
    [{ onPremisesSyncEnabled: true }, 'SYNC_TARGET_ON_PREMISES'],
    [{ mailEnabled: true, securityEnabled: true }, 'SYNC_TARGET_MAIL_ENABLED'],
    [{ mailEnabled: true, securityEnabled: false }, 'SYNC_TARGET_MAIL_ENABLED'],
  ])('refuses %o with %s', (g, code) => {
    expect(targetProblems(group(g)).map((p) => p.code)).toEqual([code]);
  });

  it('accepts security and Microsoft 365 groups', () => {
    expect(targetProblems(group({}))).toEqual([]);
    expect(targetProblems(group({ groupTypes: ['Unified'], mailEnabled: true, securityEnabled: false }))).toEqual([]);
  });

  it('warns about role-assignable targets and large fan-out', () => {
    expect(targetWarnings(group({ isAssignableToRole: true }))[0]).toContain('RoleManagement.ReadWrite.Directory');
    expect(fanOutWarning(101, 100)).toHaveLength(1);
    expect(fanOutWarning(100, 100)).toEqual([]);
  });
});
