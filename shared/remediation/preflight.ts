/**
 * Why an action cannot run, decided before anything is sent to Graph, so the ticket says what to change instead of
 * carrying a bare 403 or, worse, a half-done remediation. Pure: every fact is read by the caller first.
 */

import { ACTION_SPECS, type ActionName } from './actions';
import { type TargetUser, type UserKind, userKind } from './target';

export type DirectoryRole = 'none' | 'userAdministrator' | 'privilegedAuthenticationAdministrator';

export interface PreflightSettings {
  readonly allow: Readonly<Record<UserKind, readonly ActionName[]>>;
  /** The directory role the app's identity holds (Graph checks roles on top of permissions for sensitive writes). */
  readonly appDirectoryRole: DirectoryRole;
  /** Entra Connect password writeback is on, so cloud password changes reach on-premises AD. */
  readonly passwordWriteback: boolean;
  /** Groups `removeFromGroups` takes guests out of. */
  readonly guestGroups: readonly string[];
}

export interface PreflightFacts {
  /** False when the tenant has no Entra ID P2 (risky users read as `hidden`, or Graph refuses the riskyUsers API). */
  readonly p2: boolean;
}

export type RefusalCode =
  | 'REMEDIATION_ACTION_NOT_ALLOWED'
  | 'REMEDIATION_GUEST_RISK_HOME_TENANT'
  | 'REMEDIATION_EXTERNAL_GUEST_CREDENTIALS'
  | 'REMEDIATION_NEEDS_P2'
  | 'REMEDIATION_NEEDS_DIRECTORY_ROLE'
  | 'REMEDIATION_SYNCED_NEEDS_WRITEBACK'
  | 'REMEDIATION_SYNCED_ACCOUNT'
  | 'REMEDIATION_NO_GUEST_GROUPS'
  | 'REMEDIATION_NOT_A_GUEST';

export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
  /** The app setting, role or product to change so the action can run. */
  readonly fix: string;
}

const ALLOW_SETTING: Record<UserKind, string> = {
  member: 'REMEDIATION_ALLOW_MEMBER',
  guest: 'REMEDIATION_ALLOW_GUEST',
  privileged: 'REMEDIATION_ALLOW_PRIVILEGED',
};

const PASSWORD_ACTIONS: ReadonlySet<ActionName> = new Set(['resetPassword', 'requirePasswordChange']);
const CREDENTIAL_ACTIONS: ReadonlySet<ActionName> = new Set(['resetPassword', 'requirePasswordChange', 'issueTap']);
const GUEST_ONLY: ReadonlySet<ActionName> = new Set(['removeFromGroups', 'notifySponsors']);

const refusal = (code: RefusalCode, message: string, fix: string): Refusal => ({ code, message, fix });

function guestRules(action: ActionName, user: TargetUser, settings: PreflightSettings): Refusal | undefined {
  if (user.userType === 'Guest' && (action === 'dismiss' || action === 'confirmCompromised')) {
    return refusal(
      'REMEDIATION_GUEST_RISK_HOME_TENANT',
      "A guest's user risk is computed and remediated in their home tenant; it cannot be dismissed or confirmed here.",
      "Ask the guest's home tenant to remediate, or exclude guests from the user-risk Conditional Access policy; here use block, revokeSessions, removeFromGroups or notifySponsors.",
    );
  }
  if (user.externalGuest && CREDENTIAL_ACTIONS.has(action)) {
    return refusal(
      'REMEDIATION_EXTERNAL_GUEST_CREDENTIALS',
      'An external guest signs in with credentials of their home tenant: a password or Temporary Access Pass cannot be set here.',
      'Use block, revokeSessions, removeFromGroups or notifySponsors for guests.',
    );
  }
  if (GUEST_ONLY.has(action) && user.userType !== 'Guest') {
    return refusal('REMEDIATION_NOT_A_GUEST', `${action} is for guests; this user is a member.`, 'Choose a member action.');
  }
  if (action === 'removeFromGroups' && settings.guestGroups.length === 0) {
    return refusal(
      'REMEDIATION_NO_GUEST_GROUPS',
      'No groups are configured for removeFromGroups.',
      'Set REMEDIATION_GUEST_GROUPS to the group ids guests are taken out of.',
    );
  }
  return undefined;
}

function syncRules(action: ActionName, user: TargetUser, settings: PreflightSettings): Refusal | undefined {
  if (!user.onPremisesSynced) return undefined;
  if (PASSWORD_ACTIONS.has(action) && !settings.passwordWriteback) {
    return refusal(
      'REMEDIATION_SYNCED_NEEDS_WRITEBACK',
      'The user is synced from on-premises AD: a cloud password change does not reach AD without password writeback, and the next sync or AD sign-in would undo it.',
      'Enable password writeback in Entra Connect (then set REMEDIATION_PASSWORD_WRITEBACK=true), or reset the password in on-premises AD.',
    );
  }
  if (action === 'block' || action === 'unblock') {
    return refusal(
      'REMEDIATION_SYNCED_ACCOUNT',
      'The user is synced from on-premises AD, where accountEnabled is mastered; Graph refuses to change it in the cloud.',
      'Disable or enable the account in on-premises Active Directory and let Entra Connect sync it.',
    );
  }
  return undefined;
}

function roleRules(action: ActionName, user: TargetUser, settings: PreflightSettings): Refusal | undefined {
  const spec = ACTION_SPECS[action];
  if (
    spec.sensitive &&
    user.privilegedRoles.length > 0 &&
    settings.appDirectoryRole !== 'privilegedAuthenticationAdministrator'
  ) {
    return refusal(
      'REMEDIATION_NEEDS_DIRECTORY_ROLE',
      `The user holds privileged roles (${user.privilegedRoles.join(', ')}): Graph lets an app change their credentials or sign-in state only when the app's identity holds the Privileged Authentication Administrator role, beyond ${spec.permission}.`,
      'Assign Privileged Authentication Administrator to the app identity (then set REMEDIATION_APP_DIRECTORY_ROLE=privilegedAuthenticationAdministrator), or act in the admin center.',
    );
  }
  if (PASSWORD_ACTIONS.has(action) && settings.appDirectoryRole === 'none') {
    return refusal(
      'REMEDIATION_NEEDS_DIRECTORY_ROLE',
      `App-only password changes need ${spec.permission} and a directory role for the app's identity (at least User Administrator).`,
      'Assign User Administrator to the app identity (then set REMEDIATION_APP_DIRECTORY_ROLE=userAdministrator).',
    );
  }
  return undefined;
}

export function preflight(
  action: ActionName,
  user: TargetUser,
  settings: PreflightSettings,
  facts: PreflightFacts,
): Refusal | undefined {
  const kind = userKind(user);
  if (!settings.allow[kind].includes(action)) {
    return refusal(
      'REMEDIATION_ACTION_NOT_ALLOWED',
      `${action} is not on the allow-list for ${kind} users.`,
      `Add ${action} to ${ALLOW_SETTING[kind]} if your team wants it to run from tickets for ${kind} users.`,
    );
  }
  const found = guestRules(action, user, settings) ?? syncRules(action, user, settings) ?? roleRules(action, user, settings);
  if (found) return found;
  if (ACTION_SPECS[action].needsP2 && !facts.p2) {
    return refusal(
      'REMEDIATION_NEEDS_P2',
      'Dismissing or confirming user risk uses the riskyUsers API, which needs Microsoft Entra ID P2; this tenant has none.',
      'License Entra ID P2, or remediate with resetPassword (which clears the risk where risk policies apply) or block.',
    );
  }
  return undefined;
}
