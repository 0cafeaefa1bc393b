import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { GraphSandbox } from '../../local/sandbox/index';
import { isValidMembershipRule } from '../../local/sandbox/membershipRule';
import { at, call, errorCode, start, tenant } from './helpers';

/** POST /groups for dynamic groups, and the permission knob on group creation and CA policy writes. */
const dynamic = (extra: Record<string, unknown> = {}) => ({
  displayName: 'All guests',
  mailEnabled: false,
  mailNickname: 'allguests',
  securityEnabled: true,
  groupTypes: ['DynamicMembership'],
  membershipRule: '(user.userType -eq "Guest")',
  membershipRuleProcessingState: 'On',
  ...extra,
});

const POLICY = {
  displayName: 'Require MFA',
  state: 'enabled',
  conditions: { users: { includeUsers: ['All'] }, applications: { includeApplications: ['All'] } },
  grantControls: { operator: 'OR', builtInControls: ['mfa'] },
};

let sb: GraphSandbox;
beforeAll(async () => {
  sb = await start(tenant());
});
afterAll(async () => sb.close());

beforeEach(async () => {
  await call(sb, 'POST', '/_sandbox/reset');
  // A reset restores the default knobs; the CA budget (1 request/s) is not what these cases test.
  await call(sb, 'POST', '/_sandbox/knobs', { body: { throttling: { enabled: false, tenantSize: 'auto' } } });
});

describe('sandbox dynamic groups', () => {
  it('creates a dynamic security group with its rule and processing state', async () => {
    const r = await call(sb, 'POST', '/groups', { body: dynamic() });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ groupTypes: ['DynamicMembership'], membershipRule: '(user.userType -eq "Guest")' });
    expect(at(r.body, 'membershipRuleProcessingState')).toBe('On');
  });

  it('refuses what Graph refuses: a rule without DynamicMembership, DynamicMembership without a valid rule, bad states', async () => {
    const refused = async (body: Record<string, unknown>) => {
      const r = await call(sb, 'POST', '/groups', { body });
      return [r.status, errorCode(r)];
    };
    const bad = [400, 'Request_BadRequest'];
    expect(await refused(dynamic({ groupTypes: [] }))).toEqual(bad);
    expect(await refused(dynamic({ membershipRule: undefined }))).toEqual(bad);
    expect(await refused(dynamic({ membershipRule: '(user.userType -eq "Guest"' }))).toEqual(bad);
    expect(await refused(dynamic({ membershipRule: 'user.userType -equals "Guest"' }))).toEqual(bad);
    expect(await refused(dynamic({ membershipRuleProcessingState: 'Sometimes' }))).toEqual(bad);
    expect(await refused(dynamic({ groupTypes: [], membershipRule: null, membershipRuleProcessingState: 'On' }))).toEqual(bad);
    expect(await refused(dynamic({ isAssignableToRole: true }))).toEqual(bad);
    const groups = await call(sb, 'GET', '/groups?$select=id');
    expect(at(groups.body, 'value')).toEqual([]);
  });
});

describe('sandbox write permissions and rule syntax', () => {
  it('answers 403 when the app holds none of the permissions POST /groups or a CA policy write accepts', async () => {
    await call(sb, 'POST', '/_sandbox/knobs', { body: { deniedPermissions: ['Group.Create', 'Group.ReadWrite.All'] } });
    expect((await call(sb, 'POST', '/groups', { body: dynamic() })).status).toBe(201);
    await call(sb, 'POST', '/_sandbox/knobs', {
      body: {
        deniedPermissions: [
          'Group.Create',
          'Group.ReadWrite.All',
          'Directory.ReadWrite.All',
          'Policy.ReadWrite.ConditionalAccess',
        ],
      },
    });
    const group = await call(sb, 'POST', '/groups', { body: dynamic({ mailNickname: 'second' }) });
    expect([group.status, errorCode(group)]).toEqual([403, 'Authorization_RequestDenied']);
    const policy = await call(sb, 'POST', '/identity/conditionalAccess/policies', { body: POLICY });
    expect(policy.status).toBe(403);
    expect((await call(sb, 'GET', '/identity/conditionalAccess/policies')).status).toBe(200);
  });

  it('checks the rule syntax it understands and leaves the constructs it does not model alone', () => {
    for (const ok of [
      '(user.userType -eq "Guest")',
      'user.department -eq "Sales" -and -not (user.accountEnabled -eq false)',
      '(user.country -in ["FR","DE"]) -or (device.deviceOSType -startsWith "Windows")',
      'user.assignedPlans -any (assignedPlan.capabilityStatus -eq "Enabled")',
    ])
      expect(isValidMembershipRule(ok), ok).toBe(true);
    for (const bad of [
      '',
      '(user.userType -eq "Guest"',
      'user.userType -eq Guest',
      'userType -eq "Guest"',
      'user.a -eq "x" -and',
      '"unterminated',
    ])
      expect(isValidMembershipRule(bad), bad).toBe(false);
  });
});
