/**
 * The user an action is about, as read from Graph just before the action (never from the ticket: a ticket can be
 * days old, the user may have been deleted, disabled, re-synced or made an admin since).
 */
export type UserKind = 'member' | 'guest' | 'privileged';

export interface TargetUser {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName?: string;
  readonly userType: 'Member' | 'Guest';
  /** Invited from another tenant (creationType Invitation, externalUserState set or an `#EXT#` UPN): home-tenant credentials. */
  readonly externalGuest: boolean;
  /** Mastered in on-premises AD (onPremisesSyncEnabled true). */
  readonly onPremisesSynced: boolean;
  readonly accountEnabled: boolean;
  /** Names of active privileged directory roles; empty for everyone else. */
  readonly privilegedRoles: readonly string[];
}

/** Privileged wins over guest: an admin guest is still an admin, and the stricter allow-list applies. */
export function userKind(user: TargetUser): UserKind {
  if (user.privilegedRoles.length > 0) return 'privileged';
  return user.userType === 'Guest' ? 'guest' : 'member';
}

export function isExternalGuest(user: {
  userType?: string | null;
  creationType?: string | null;
  externalUserState?: string | null;
  userPrincipalName?: string | null;
}): boolean {
  if (user.userType !== 'Guest') return false;
  return (
    user.creationType === 'Invitation' ||
    (user.externalUserState ?? null) !== null ||
    (user.userPrincipalName ?? '').toUpperCase().includes('#EXT#')
  );
}
