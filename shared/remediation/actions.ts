/**
 * Every action a ticket (or an admin) can approve, with the one Graph permission it needs. The permission names here
 * are the ones declared in infra/graph-permissions.json (capability `remediation`) and in docs/remediation.md; a
 * test keeps the three in step.
 */

import type { UserKind } from './target';

export const ACTIONS = [
  'dismiss',
  'confirmCompromised',
  'revokeSessions',
  'resetPassword',
  'requirePasswordChange',
  'block',
  'unblock',
  'issueTap',
  'removeFromGroups',
  'notifySponsors',
] as const;

export type ActionName = (typeof ACTIONS)[number];

export interface ActionSpec {
  readonly name: ActionName;
  /** Least-privileged Graph application permission for the write (reads are covered by User.Read.All). */
  readonly permission: string;
  /**
   * Safe to run again after a failure whose effect is unknown: retried later on 429/5xx. Actions that hand out a
   * secret (a password, a pass) are not: a second run issues a new secret nobody approved, so they are reported.
   */
  readonly idempotent: boolean;
  /** Needs Entra ID P2 (the riskyUsers API). */
  readonly needsP2: boolean;
  /** Changes the user's credentials or sign-in state: on privileged users Graph needs a privileged directory role. */
  readonly sensitive: boolean;
  /** When sign-in works again after the action, for the ticket note. */
  readonly signInAfter: string;
}

const spec = (s: ActionSpec): ActionSpec => s;

export const ACTION_SPECS: Readonly<Record<ActionName, ActionSpec>> = {
  dismiss: spec({
    name: 'dismiss',
    permission: 'IdentityRiskyUser.ReadWrite.All',
    idempotent: true,
    needsP2: true,
    sensitive: false,
    signInAfter:
      'The user risk is now none; risk-based Conditional Access stops blocking within 10-15 minutes (existing tokens are not revoked).',
  }),
  confirmCompromised: spec({
    name: 'confirmCompromised',
    permission: 'IdentityRiskyUser.ReadWrite.All',
    idempotent: true,
    needsP2: true,
    sensitive: false,
    signInAfter:
      'The user risk is now high: a user-risk policy blocks or forces a secure password change until the risk is remediated (password reset or dismissal).',
  }),
  revokeSessions: spec({
    name: 'revokeSessions',
    permission: 'User.RevokeSessions.All',
    idempotent: true,
    needsP2: false,
    sensitive: true,
    signInAfter:
      'Refresh tokens and session cookies are invalid within a few minutes; the user can sign in again at once with their credentials.',
  }),
  resetPassword: spec({
    name: 'resetPassword',
    permission: 'User-PasswordProfile.ReadWrite.All',
    idempotent: false,
    needsP2: false,
    sensitive: true,
    signInAfter:
      'Sign-in works with the temporary password (retrieved once through the link) and the user must change it at first sign-in; an admin password reset remediates the user risk, effective within 10-15 minutes.',
  }),
  requirePasswordChange: spec({
    name: 'requirePasswordChange',
    permission: 'User-PasswordProfile.ReadWrite.All',
    idempotent: true,
    needsP2: false,
    sensitive: true,
    signInAfter: 'The user signs in with their current password and must choose a new one at the next sign-in.',
  }),
  block: spec({
    name: 'block',
    permission: 'User.EnableDisableAccount.All',
    idempotent: true,
    needsP2: false,
    sensitive: true,
    signInAfter: 'Sign-in is blocked until an admin unblocks the account (existing sessions last until revoked or expired).',
  }),
  unblock: spec({
    name: 'unblock',
    permission: 'User.EnableDisableAccount.All',
    idempotent: true,
    needsP2: false,
    sensitive: true,
    signInAfter: 'Sign-in works again now (allow a few minutes for the change to reach every region).',
  }),
  issueTap: spec({
    name: 'issueTap',
    permission: 'UserAuthMethod-TAP.ReadWrite.All',
    idempotent: false,
    needsP2: false,
    sensitive: true,
    signInAfter:
      'Sign-in works with the Temporary Access Pass (retrieved once through the link) from its start time until it expires.',
  }),
  removeFromGroups: spec({
    name: 'removeFromGroups',
    permission: 'GroupMember.ReadWrite.All',
    idempotent: true,
    needsP2: false,
    sensitive: false,
    signInAfter: 'Sign-in is unchanged; access granted through the removed groups ends as tokens refresh (up to an hour).',
  }),
  notifySponsors: spec({
    name: 'notifySponsors',
    permission: 'User.Read.All',
    idempotent: true,
    needsP2: false,
    sensitive: false,
    signInAfter:
      'Nothing changes here: a guest blocked for home-tenant risk signs in again once their home tenant remediates the risk; the sponsors are named so they can ask for it.',
  }),
};

/** Defaults of the per-kind allow-lists (settings REMEDIATION_ALLOW_MEMBER / _GUEST / _PRIVILEGED). */
export const DEFAULT_ALLOW: Readonly<Record<UserKind, readonly ActionName[]>> = {
  member: [
    'dismiss',
    'confirmCompromised',
    'revokeSessions',
    'resetPassword',
    'requirePasswordChange',
    'block',
    'unblock',
    'issueTap',
  ],
  // A guest's user risk lives in the home tenant: only resource-tenant actions.
  guest: ['revokeSessions', 'block', 'unblock', 'removeFromGroups', 'notifySponsors'],
  // Admins: nothing that locks out or re-credentials an admin from a ticket unless the team opts in.
  privileged: ['dismiss', 'confirmCompromised', 'revokeSessions'],
};

export function isAction(value: string): value is ActionName {
  return (ACTIONS as readonly string[]).includes(value);
}
