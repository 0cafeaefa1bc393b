import { randomInt } from 'node:crypto';

import { passExpiry, planPass } from '../tap/issue';
import type { ActionName } from './actions';
import type { PassVault, RemediationWriter, TapDirectory } from './ports';
import type { TargetUser } from './target';

/** What an action did, for the request record, the audit log and the ticket note; secrets only as a retrieval id. */
export interface ActionResult {
  readonly message: string;
  readonly retrievalId?: string;
  readonly retrievalExpiresAt?: string;
  readonly details?: Record<string, unknown>;
}

export interface ExecuteDeps {
  readonly writer: RemediationWriter;
  readonly taps: TapDirectory;
  readonly vault: PassVault;
  readonly guestGroups: readonly string[];
  /** How long a temporary password can be retrieved (it stays valid until the user changes it). */
  readonly passwordRetrievalMinutes: number;
  readonly now: () => Date;
}

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
const SYMBOLS = '!@#$%^&*-_=+?';

/**
 * A 20-character temporary password from a CSPRNG with all four character classes, which satisfies Entra's
 * complexity rule (3 of 4 classes, 8-256 characters) without look-alike characters.
 */
export function generatePassword(length = 20): string {
  const all = UPPER + LOWER + DIGITS + SYMBOLS;
  const chars = [UPPER, LOWER, DIGITS, SYMBOLS].map((set) => set.charAt(randomInt(set.length)));
  while (chars.length < length) chars.push(all.charAt(randomInt(all.length)));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
  }
  return chars.join('');
}

async function resetPassword(deps: ExecuteDeps, user: TargetUser): Promise<ActionResult> {
  const password = generatePassword();
  await deps.writer.setPassword(user.id, password);
  const kept = await deps.vault.put({
    kind: 'temporaryPassword',
    value: password,
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    expiresAt: new Date(deps.now().getTime() + deps.passwordRetrievalMinutes * 60_000),
  });
  return {
    message: 'Password reset to a generated temporary password; the user must change it at the next sign-in.',
    retrievalId: kept.retrievalId,
    retrievalExpiresAt: kept.expiresAt,
  };
}

async function issueTap(deps: ExecuteDeps, user: TargetUser): Promise<ActionResult> {
  const plan = await planPass(deps, user, {});
  const pass = await deps.taps.createPass(user.id, plan);
  const expiresAt = passExpiry(pass);
  const kept = await deps.vault.put({
    kind: 'temporaryAccessPass',
    value: pass.temporaryAccessPass,
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    expiresAt,
  });
  return {
    message: `Temporary Access Pass issued (${pass.isUsableOnce ? 'one-time' : 'multi-use'}, ${pass.lifetimeInMinutes} minutes, valid from ${pass.startDateTime} until ${expiresAt.toISOString()}).`,
    retrievalId: kept.retrievalId,
    retrievalExpiresAt: kept.expiresAt,
    details: { methodId: pass.methodId, isUsableOnce: pass.isUsableOnce, lifetimeInMinutes: pass.lifetimeInMinutes },
  };
}

async function removeFromGroups(deps: ExecuteDeps, user: TargetUser): Promise<ActionResult> {
  const removed: string[] = [];
  const notMember: string[] = [];
  for (const groupId of deps.guestGroups) {
    const result = await deps.writer.removeFromGroup(groupId, user.id);
    (result === 'removed' ? removed : notMember).push(groupId);
  }
  return {
    message: `Removed from ${removed.length} configured group(s)${notMember.length > 0 ? `; not a member of ${notMember.length}` : ''}.`,
    details: { removed, notMember },
  };
}

async function notifySponsors(deps: ExecuteDeps, user: TargetUser): Promise<ActionResult> {
  const sponsors = await deps.writer.sponsors(user.id);
  if (sponsors.length === 0) {
    return { message: 'The guest has no sponsors in this tenant; ask the inviting team to contact the home tenant.' };
  }
  const names = sponsors.map(
    (s) => `${s.displayName ?? s.id}${s.mail ? ` <${s.mail}>` : ''}${s.type === 'group' ? ' (group)' : ''}`,
  );
  return {
    message: `Sponsors to contact about the home tenant's remediation: ${names.join('; ')}.`,
    details: { sponsors: sponsors.map((s) => s.id) },
  };
}

/** Runs one pre-flighted action. Throws DirectoryFailure (Graph refused or failed) or TapRefused (policy changed). */
export async function executeAction(deps: ExecuteDeps, action: ActionName, user: TargetUser): Promise<ActionResult> {
  const w = deps.writer;
  switch (action) {
    case 'dismiss':
      await w.dismissRisk(user.id);
      return { message: 'User risk dismissed (riskState dismissed, risk level none).' };
    case 'confirmCompromised':
      await w.confirmCompromised(user.id);
      return { message: 'User confirmed compromised (risk level high).' };
    case 'revokeSessions':
      await w.revokeSessions(user.id);
      return {
        message: user.externalGuest
          ? "Sessions in this tenant revoked; Graph does not revoke an external guest's home-tenant sessions."
          : 'All refresh tokens and session cookies revoked.',
      };
    case 'resetPassword':
      return resetPassword(deps, user);
    case 'requirePasswordChange':
      await w.requirePasswordChange(user.id);
      return { message: 'The user must change their password at the next sign-in.' };
    case 'block':
      await w.setAccountEnabled(user.id, false);
      return { message: 'Sign-in blocked (accountEnabled false).' };
    case 'unblock':
      await w.setAccountEnabled(user.id, true);
      return { message: 'Sign-in allowed again (accountEnabled true).' };
    case 'issueTap':
      return issueTap(deps, user);
    case 'removeFromGroups':
      return removeFromGroups(deps, user);
    case 'notifySponsors':
      return notifySponsors(deps, user);
  }
}
