import { beforeEach, describe, expect, it } from 'vitest';

import { caGuestRiskHandler } from '../../functions/caGuestRisk';
import { DEMO_CA_POLICIES, DEMO_GROUPS } from '../../local/tenants/demoIds';
import { findGuestRiskPolicies, type GuestRiskReport, isAllGuestsRule } from '../../shared/conditional-access/guestRisk';
import { call, graphAdmin, resetSandbox, useCaHarness } from './harness';

const harness = useCaHarness();

beforeEach(async () => {
  await resetSandbox(harness.current);
});

describe('guest-risk check', () => {
  it("finds the demo tenant's guest-including user-risk policy and offers its dynamic all-guests group", async () => {
    const res = await call(caGuestRiskHandler);
    expect(res.status).toBe(200);
    const report = res.body as unknown as GuestRiskReport;
    expect(report.checkedPolicies).toBe(8);
    expect(report.guestGroups.map((g) => g.id)).toEqual([DEMO_GROUPS.guestsDynamic.id]);
    expect(report.findings.map((f) => f.policyId).sort()).toEqual(
      [DEMO_CA_POLICIES.blockHighUserRisk.id, DEMO_CA_POLICIES.signInRisk.id].sort(),
    );
    const userRisk = report.findings.find((f) => f.policyId === DEMO_CA_POLICIES.blockHighUserRisk.id)!;
    expect(userRisk.riskConditions.userRiskLevels).toEqual(['high']);
    expect(userRisk.fix).toEqual({ excludeGroupId: DEMO_GROUPS.guestsDynamic.id, membershipRule: '(user.userType -eq "Guest")' });
  });

  it('no longer reports a policy once it excludes the all-guests group', async () => {
    const h = harness.current;
    await graphAdmin(h, `/v1.0/identity/conditionalAccess/policies/${DEMO_CA_POLICIES.blockHighUserRisk.id}`, {
      method: 'PATCH',
      body: { conditions: { users: { excludeGroups: [DEMO_GROUPS.breakGlassExclusion.id, DEMO_GROUPS.guestsDynamic.id] } } },
    });
    const report = (await call(caGuestRiskHandler)).body as unknown as GuestRiskReport;
    expect(report.findings.map((f) => f.policyId)).not.toContain(DEMO_CA_POLICIES.blockHighUserRisk.id);
  });

  it('recognises the guest rule in any spacing and case, and nothing else', () => {
    expect(isAllGuestsRule('(user.userType -eq "Guest")')).toBe(true);
    expect(isAllGuestsRule('user.usertype  -eq "guest"')).toBe(true);
    expect(isAllGuestsRule('(user.userType -eq "Guest") and (user.department -eq "Sales")')).toBe(false);
    expect(isAllGuestsRule(null)).toBe(false);
  });

  it('ignores policies without risk conditions and those excluding guests by keyword', () => {
    const base = { id: 'p', displayName: 'p', state: 'enabled' };
    const users = (extra: object) => ({ includeUsers: ['All'], excludeUsers: [], excludeGroups: [], ...extra });
    expect(findGuestRiskPolicies([{ ...base, conditions: { users: users({}), userRiskLevels: [] } }], new Set(), null)).toEqual(
      [],
    );
    expect(
      findGuestRiskPolicies(
        [{ ...base, conditions: { users: users({ excludeUsers: ['GuestsOrExternalUsers'] }), userRiskLevels: ['high'] } }],
        new Set(),
        null,
      ),
    ).toEqual([]);
    expect(
      findGuestRiskPolicies([{ ...base, conditions: { users: users({}), userRiskLevels: ['high'] } }], new Set(), null),
    ).toHaveLength(1);
  });
});
