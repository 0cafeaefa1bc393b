import { describe, expect, it } from 'vitest';

import { type ActionName, ACTIONS, DEFAULT_ALLOW } from '../../shared/remediation/actions';
import { preflight, type PreflightSettings } from '../../shared/remediation/preflight';
import type { TargetUser } from '../../shared/remediation/target';

const settings = (over: Partial<PreflightSettings> = {}): PreflightSettings => ({
  allow: { member: [...ACTIONS], guest: [...ACTIONS], privileged: [...ACTIONS] },
  appDirectoryRole: 'userAdministrator',
  passwordWriteback: false,
  guestGroups: ['00000000-0000-4000-8000-000000000001'],
  ...over,
});
const member: TargetUser = {
  id: 'u1',
  userPrincipalName: 'u1@contoso.com',
  userType: 'Member',
  externalGuest: false,
  onPremisesSynced: false,
  accountEnabled: true,
  privilegedRoles: [],
};
const guest: TargetUser = { ...member, userType: 'Guest', externalGuest: true };
const admin: TargetUser = { ...member, privilegedRoles: ['Global Administrator'] };
const synced: TargetUser = { ...member, onPremisesSynced: true };
const code = (action: ActionName, user: TargetUser, s = settings(), p2 = true) => preflight(action, user, s, { p2 })?.code;

describe('preflight', () => {
  it('lets every member action through when allowed, licensed and roled', () => {
    for (const action of DEFAULT_ALLOW.member) expect(code(action, member), action).toBeUndefined();
  });

  it('refuses actions off the allow-list of the user kind, naming the setting', () => {
    const s = settings({ allow: DEFAULT_ALLOW });
    expect(preflight('block', admin, s, { p2: true })).toMatchObject({
      code: 'REMEDIATION_ACTION_NOT_ALLOWED',
      fix: expect.stringContaining('REMEDIATION_ALLOW_PRIVILEGED') as unknown,
    });
    expect(code('resetPassword', guest, s)).toBe('REMEDIATION_ACTION_NOT_ALLOWED');
    expect(code('notifySponsors', member, s)).toBe('REMEDIATION_ACTION_NOT_ALLOWED');
  });

  it("refuses a guest's risk dismissal and credential changes for external guests", () => {
    expect(code('dismiss', guest)).toBe('REMEDIATION_GUEST_RISK_HOME_TENANT');
    expect(code('confirmCompromised', guest)).toBe('REMEDIATION_GUEST_RISK_HOME_TENANT');
    for (const a of ['resetPassword', 'requirePasswordChange', 'issueTap'] as const) {
      expect(code(a, guest), a).toBe('REMEDIATION_EXTERNAL_GUEST_CREDENTIALS');
    }
    expect(code('removeFromGroups', guest, settings({ guestGroups: [] }))).toBe('REMEDIATION_NO_GUEST_GROUPS');
    expect(code('removeFromGroups', member)).toBe('REMEDIATION_NOT_A_GUEST');
    expect(code('notifySponsors', guest)).toBeUndefined();
  });

  it('refuses password changes for synced users without writeback and accountEnabled changes for any synced user', () => {
    expect(code('resetPassword', synced)).toBe('REMEDIATION_SYNCED_NEEDS_WRITEBACK');
    expect(code('resetPassword', synced, settings({ passwordWriteback: true }))).toBeUndefined();
    expect(code('block', synced)).toBe('REMEDIATION_SYNCED_ACCOUNT');
    expect(code('unblock', synced, settings({ passwordWriteback: true }))).toBe('REMEDIATION_SYNCED_ACCOUNT');
  });

  it('needs Privileged Authentication Administrator for sensitive actions on admins, and a role for password writes', () => {
    for (const a of ['revokeSessions', 'resetPassword', 'block', 'issueTap'] as const) {
      expect(code(a, admin), a).toBe('REMEDIATION_NEEDS_DIRECTORY_ROLE');
      expect(code(a, admin, settings({ appDirectoryRole: 'privilegedAuthenticationAdministrator' })), a).toBeUndefined();
    }
    expect(code('dismiss', admin)).toBeUndefined();
    expect(code('resetPassword', member, settings({ appDirectoryRole: 'none' }))).toBe('REMEDIATION_NEEDS_DIRECTORY_ROLE');
    expect(code('block', member, settings({ appDirectoryRole: 'none' }))).toBeUndefined();
  });

  it('needs Entra ID P2 for dismiss and confirmCompromised only', () => {
    expect(code('dismiss', member, settings(), false)).toBe('REMEDIATION_NEEDS_P2');
    expect(code('confirmCompromised', member, settings(), false)).toBe('REMEDIATION_NEEDS_P2');
    expect(code('block', member, settings(), false)).toBeUndefined();
  });
});
