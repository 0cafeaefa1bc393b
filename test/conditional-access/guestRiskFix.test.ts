import { beforeEach, describe, expect, it } from 'vitest';

import { caGuestRiskFixHandler } from '../../functions/caGuestRiskFix';
import { DEMO_CA_POLICIES, DEMO_GROUPS } from '../../local/tenants/demoIds';
import {
  dynamicGroupBody,
  excludeGroupPatch,
  GUEST_GROUP,
  type GuestRiskFixPlan,
  NEW_GROUP_ID,
} from '../../shared/conditional-access/guestRiskFix';
import { getServices } from '../../shared/runtime/services';
import { call, graphAdmin, resetSandbox, setKnobs, useCaHarness } from './harness';

/** The guest-risk fix through POST /api/ca/guest-risk, on Azurite and the demo tenant in the Graph sandbox. */
const harness = useCaHarness();

const USER_RISK = DEMO_CA_POLICIES.blockHighUserRisk.id;
const SIGN_IN_RISK = DEMO_CA_POLICIES.signInRisk.id;
const BREAK_GLASS = DEMO_GROUPS.breakGlassExclusion.id;
const GUESTS = DEMO_GROUPS.guestsDynamic.id;

const fix = (body: Record<string, unknown>) => call(caGuestRiskFixHandler, { method: 'POST', body });
const plan = (body: Record<string, unknown> = {}) => fix(body).then((r) => r.body as unknown as GuestRiskFixPlan);
const apply = (planId: string) => fix({ dryRun: false, planId });

async function policy(id: string): Promise<{ modifiedDateTime: string; excludeGroups: string[] }> {
  const res = await graphAdmin(harness.current, `/v1.0/identity/conditionalAccess/policies/${id}`);
  const p = res.body as { modifiedDateTime: string; conditions: { users: { excludeGroups: string[] } } };
  return { modifiedDateTime: p.modifiedDateTime, excludeGroups: p.conditions.users.excludeGroups };
}

beforeEach(async () => {
  await resetSandbox(harness.current);
});

describe('guest-risk fix: plan', () => {
  it('plans the exact PATCH per policy, reusing the tenant dynamic all-guests group, and changes nothing', async () => {
    const before = await policy(USER_RISK);
    const p = await plan();
    expect(p.group).toEqual({ action: 'reuse', id: GUESTS, displayName: DEMO_GROUPS.guestsDynamic.displayName });
    expect(p.items.map((i) => i.policyId).sort()).toEqual([USER_RISK, SIGN_IN_RISK].sort());
    const userRisk = p.items.find((i) => i.policyId === USER_RISK)!;
    expect(userRisk.patch).toMatchObject({
      conditions: { users: { includeUsers: ['All'], excludeGroups: [BREAK_GLASS, GUESTS] } },
    });
    expect(p.items.find((i) => i.policyId === SIGN_IN_RISK)!.patch).toMatchObject({
      conditions: { users: { excludeGroups: [GUESTS] } },
    });
    expect(await policy(USER_RISK)).toEqual(before);
  });

  it('plans to create the dynamic group when the tenant has none, and skips requested policies that need no fix', async () => {
    await graphAdmin(harness.current, `/v1.0/groups/${GUESTS}`, { method: 'DELETE' });
    const p = await plan({ policyIds: [USER_RISK, DEMO_CA_POLICIES.compliantDevice.id] });
    expect(p.group).toEqual({
      action: 'create',
      displayName: GUEST_GROUP.displayName,
      body: {
        displayName: GUEST_GROUP.displayName,
        description: GUEST_GROUP.description,
        mailEnabled: false,
        mailNickname: GUEST_GROUP.mailNickname,
        securityEnabled: true,
        groupTypes: ['DynamicMembership'],
        membershipRule: '(user.userType -eq "Guest")',
        membershipRuleProcessingState: 'On',
      },
    });
    expect(p.items.map((i) => i.policyId)).toEqual([USER_RISK]);
    expect(p.items[0]!.patch).toMatchObject({ conditions: { users: { excludeGroups: [BREAK_GLASS, NEW_GROUP_ID] } } });
    expect(p.skipped).toEqual([{ policyId: DEMO_CA_POLICIES.compliantDevice.id, reason: expect.any(String) as string }]);
  });

  it('refuses bad bodies, unknown policies, and applying without a seen plan', async () => {
    const status = async (body: Record<string, unknown>) => {
      const r = await fix(body);
      return [r.status, r.body.error?.code];
    };
    expect(await status({ extra: true })).toEqual([400, 'INVALID_BODY']);
    expect((await fix({ policyIds: [] })).status).toBe(400);
    expect((await fix({ dryRun: 'no' })).status).toBe(400);
    expect((await fix({ dryRun: false, planId: 'not-a-uuid' })).status).toBe(400);
    expect((await call(caGuestRiskFixHandler, { method: 'POST', rawBody: '{"dryRun":' })).status).toBe(400);
    expect(await status({ dryRun: false })).toEqual([400, 'PLAN_REQUIRED']);
    expect(await status({ dryRun: false, planId: '3f1c9a52-7d4b-4e8a-9b1c-2d3e4f5a6b7c' })).toEqual([404, 'PLAN_NOT_FOUND']);
    expect(await status({ policyIds: ['00000000-0000-4000-8000-000000000000'] })).toEqual([404, 'POLICY_NOT_FOUND']);
  });
});

describe('guest-risk fix: apply', () => {
  it('excludes the group from every finding, keeps break-glass exclusions, audits, and a re-run changes nothing', async () => {
    const p = await plan();
    const applied = await apply(p.planId);
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ dryRun: false, status: 'succeeded' });
    expect((applied.body.items as { outcome: string }[]).map((i) => i.outcome)).toEqual(['updated', 'updated']);
    const after = await policy(USER_RISK);
    expect(after.excludeGroups).toEqual([BREAK_GLASS, GUESTS]);
    expect((await policy(SIGN_IN_RISK)).excludeGroups).toEqual([GUESTS]);
    const audit = await getServices().audit.list({ runId: p.planId });
    expect(audit.map((a) => a.action)).toEqual(['ca.guestRisk.excludeGroup', 'ca.guestRisk.excludeGroup']);

    // The same plan again answers the first result; a new plan finds nothing; applying it changes nothing.
    const again = await apply(p.planId);
    expect([again.status, again.body.appliedAt]).toEqual([200, applied.body.appliedAt]);
    const next = await plan();
    expect([next.items, next.group.action]).toEqual([[], 'reuse']);
    expect((await apply(next.planId)).body).toMatchObject({ status: 'succeeded', items: [] });
    expect(await policy(USER_RISK)).toEqual(after);
    expect(await getServices().audit.list({ runId: p.planId })).toHaveLength(2);
  });

  it('creates the dynamic security group when none exists, once, and excludes it', async () => {
    await graphAdmin(harness.current, `/v1.0/groups/${GUESTS}`, { method: 'DELETE' });
    const p = await plan({ policyIds: [USER_RISK] });
    const applied = await apply(p.planId);
    expect(applied.body).toMatchObject({ status: 'succeeded' });
    const groupId = applied.body.createdGroupId as string;
    const group = (await graphAdmin(harness.current, `/v1.0/groups/${groupId}`)).body;
    expect(group).toMatchObject(dynamicGroupBody({ ...GUEST_GROUP, membershipRule: '(user.userType -eq "Guest")' }));
    expect((await policy(USER_RISK)).excludeGroups).toEqual([BREAK_GLASS, groupId]);
    // The next plan reuses the created group instead of creating another.
    expect((await plan()).group).toMatchObject({ action: 'reuse', id: groupId });
  });
});

describe('guest-risk fix: apply, refused', () => {
  it('refuses a policy edited after the plan and applies the others', async () => {
    const p = await plan();
    await graphAdmin(harness.current, `/v1.0/identity/conditionalAccess/policies/${SIGN_IN_RISK}`, {
      method: 'PATCH',
      body: { state: 'enabledForReportingButNotEnforced' },
    });
    const applied = await apply(p.planId);
    expect(applied.body.status).toBe('partial');
    const items = applied.body.items as { policyId: string; outcome: string; outcomeCode?: string }[];
    expect(items.find((i) => i.policyId === SIGN_IN_RISK)).toMatchObject({
      outcome: 'refused',
      outcomeCode: 'POLICY_CHANGED_SINCE_PLAN',
    });
    expect((await policy(SIGN_IN_RISK)).excludeGroups).toEqual([]);
    expect((await policy(USER_RISK)).excludeGroups).toEqual([BREAK_GLASS, GUESTS]);
  });

  it('refuses a policy deleted after the plan, and leaves the plan applied once', async () => {
    const p = await plan({ policyIds: [SIGN_IN_RISK] });
    await graphAdmin(harness.current, `/v1.0/identity/conditionalAccess/policies/${SIGN_IN_RISK}`, { method: 'DELETE' });
    const applied = await apply(p.planId);
    expect(applied.body).toMatchObject({
      status: 'failed',
      items: [{ outcome: 'refused', outcomeCode: 'POLICY_DELETED_SINCE_PLAN' }],
    });
    expect((await apply(p.planId)).body.appliedAt).toBe(applied.body.appliedAt);
  });

  it('names the permission Graph refused: Policy.ReadWrite.ConditionalAccess per policy, Group.Create for the group', async () => {
    const h = harness.current;
    await setKnobs(h, { deniedPermissions: ['Policy.ReadWrite.ConditionalAccess'] });
    const denied = await apply((await plan({ policyIds: [USER_RISK] })).planId);
    expect(denied.body.status).toBe('failed');
    expect((denied.body.items as { outcomeMessage: string }[])[0]!.outcomeMessage).toContain(
      'Policy.ReadWrite.ConditionalAccess',
    );

    await setKnobs(h, { deniedPermissions: ['Group.Create', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'] });
    await graphAdmin(h, `/v1.0/groups/${GUESTS}`, { method: 'DELETE' });
    const noGroup = await apply((await plan({ policyIds: [USER_RISK] })).planId);
    expect([noGroup.status, noGroup.body.error?.code]).toEqual([403, 'GRAPH_PERMISSION_MISSING']);
    expect(noGroup.body.error?.message).toContain('Group.Create');
    expect((await policy(USER_RISK)).excludeGroups).toEqual([BREAK_GLASS]);
  });
});

describe('guest-risk fix: pure parts', () => {
  it('appends the group to excludeGroups without dropping or duplicating anything', () => {
    const p = { conditions: { users: { includeUsers: ['All'], excludeUsers: ['u1'], excludeGroups: ['bg'] } } };
    expect(excludeGroupPatch(p, 'g')).toEqual({
      conditions: { users: { includeUsers: ['All'], excludeUsers: ['u1'], excludeGroups: ['bg', 'g'] } },
    });
    expect(excludeGroupPatch(p, 'bg')).toEqual({ conditions: { users: { ...p.conditions.users, excludeGroups: ['bg'] } } });
    expect(excludeGroupPatch({}, 'g')).toEqual({ conditions: { users: { excludeGroups: ['g'] } } });
  });
});
