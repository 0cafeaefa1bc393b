/**
 * Why was this sign-in blocked? Reads the user's failed sign-ins with Conditional Access error codes and explains each
 * by the policies that failed (`appliedConditionalAccessPolicies` with `result: failure`), their unmet controls, and the
 * exclusion groups that would exempt the user. Report-only policies that would have failed are listed apart.
 * Docs: signin-list.md, resources/appliedconditionalaccesspolicy.md.
 */
import { AppError, notFound } from '../errors';
import { isConditionalAccessCode, meaningOf } from './errorCodes';
import { type CaPolicy, grantControlsOf, isJson, type Json, sessionControlsOf, userAssignments } from './model';
import type { DirectoryLookup, PolicyReader, SignInReader, UserRef } from './ports';

export interface WhyBlockedDeps {
  readonly signIns: SignInReader;
  readonly policies: PolicyReader;
  readonly directory: DirectoryLookup;
  readonly now: () => Date;
}

export interface WhyBlockedQuery {
  readonly user: string;
  readonly correlationId?: string;
  readonly since?: Date;
}

export interface FailedPolicy {
  readonly id: string;
  readonly name: string;
  /** Live state; `null` when the policy no longer exists. */
  readonly state: string | null;
  readonly unmetGrantControls: string[];
  readonly unmetSessionControls: string[];
  /** Groups the policy excludes: adding the user to one of them exempts the user from this policy. */
  readonly exemptingGroups: { id: string; displayName: string | null }[];
}

export interface ExplainedSignIn {
  readonly id: string;
  readonly time: string;
  readonly correlationId: string | null;
  readonly app: string | null;
  readonly ipAddress: string | null;
  readonly location: string | null;
  readonly clientApp: string | null;
  readonly device: { id: string | null; operatingSystem: string | null; compliant: boolean | null; managed: boolean | null };
  readonly errorCode: number;
  readonly meaning: string;
  readonly failedPolicies: FailedPolicy[];
  readonly reportOnlyWouldFail: FailedPolicy[];
  /** Set when Graph withheld the applied policies (the app lacks a Policy.Read permission). */
  readonly policyDetails: 'available' | 'withheld';
}

export interface WhyBlockedReport {
  readonly user: UserRef;
  readonly since: string;
  readonly signIns: ExplainedSignIn[];
  /** Present when the answer would otherwise be misread: no matching sign-ins, or policy details withheld. */
  readonly notes: string[];
}

/** Sign-in logs keep 30 days with Entra ID P1/P2, so by default the whole retained window is read. */
export const DEFAULT_WINDOW_DAYS = 30;

export const WITHHELD_NOTE =
  'Graph withheld appliedConditionalAccessPolicies: the app lacks Policy.Read.All (or Policy.Read.ConditionalAccess / ' +
  'Policy.ReadWrite.ConditionalAccess), so the failing policies cannot be named. Grant Policy.Read.All to the app.';

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

function locationText(loc: unknown): string | null {
  if (!isJson(loc)) return null;
  const parts = [str(loc.city), str(loc.state), str(loc.countryOrRegion)].filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join(', ') : null;
}

export function explainPolicy(
  applied: Json,
  live: CaPolicy | undefined,
  groupNames: ReadonlyMap<string, string | null>,
): FailedPolicy {
  const enforcedGrant = Array.isArray(applied.enforcedGrantControls) ? applied.enforcedGrantControls.map(String) : [];
  const enforcedSession = Array.isArray(applied.enforcedSessionControls) ? applied.enforcedSessionControls.map(String) : [];
  const excludeGroups = live ? userAssignments(live).excludeGroups : [];
  return {
    id: String(applied.id),
    name: str(applied.displayName) ?? live?.displayName ?? String(applied.id),
    state: live?.state ?? null,
    unmetGrantControls: enforcedGrant.length > 0 ? enforcedGrant : live ? grantControlsOf(live) : [],
    unmetSessionControls: enforcedSession.length > 0 ? enforcedSession : live ? sessionControlsOf(live) : [],
    exemptingGroups: excludeGroups.map((id) => ({ id, displayName: groupNames.get(id) ?? null })),
  };
}

export function explainSignIn(
  s: Json,
  policies: ReadonlyMap<string, CaPolicy>,
  groupNames: ReadonlyMap<string, string | null>,
): ExplainedSignIn {
  const status = isJson(s.status) ? s.status : {};
  const device = isJson(s.deviceDetail) ? s.deviceDetail : {};
  const applied = Array.isArray(s.appliedConditionalAccessPolicies) ? s.appliedConditionalAccessPolicies.filter(isJson) : [];
  const pick = (result: string) =>
    applied.filter((a) => a.result === result).map((a) => explainPolicy(a, policies.get(String(a.id)), groupNames));
  return {
    id: String(s.id),
    time: String(s.createdDateTime),
    correlationId: str(s.correlationId),
    app: str(s.appDisplayName),
    ipAddress: str(s.ipAddress),
    location: locationText(s.location),
    clientApp: str(s.clientAppUsed),
    device: {
      id: str(device.deviceId),
      operatingSystem: str(device.operatingSystem),
      compliant: bool(device.isCompliant),
      managed: bool(device.isManaged),
    },
    errorCode: Number(status.errorCode),
    meaning: meaningOf(Number(status.errorCode)),
    failedPolicies: pick('failure'),
    reportOnlyWouldFail: pick('reportOnlyFailure'),
    policyDetails: applied.length === 0 ? 'withheld' : 'available',
  };
}

export async function whyBlocked(deps: WhyBlockedDeps, query: WhyBlockedQuery): Promise<WhyBlockedReport> {
  const user = await deps.directory.findUser(query.user);
  if (!user) throw notFound('USER_NOT_FOUND', `No user with id or userPrincipalName '${query.user}' in the tenant`);
  const now = deps.now();
  const since = query.since ?? new Date(now.getTime() - DEFAULT_WINDOW_DAYS * 86_400_000);
  if (since.getTime() > now.getTime()) throw new AppError('INVALID_QUERY', '`since` is in the future', 400);

  const all = await deps.signIns.signIns({
    userId: user.id,
    since,
    ...(query.correlationId ? { correlationId: query.correlationId } : {}),
  });
  const failed = all.filter((s) => isJson(s.status) && isConditionalAccessCode(Number(s.status.errorCode)));
  const notes: string[] = [];
  if (failed.length === 0) {
    notes.push(
      all.length === 0
        ? `No sign-ins for ${user.userPrincipalName} since ${since.toISOString()}${query.correlationId ? ` with correlation id ${query.correlationId}` : ''}.`
        : `${all.length} sign-in(s) since ${since.toISOString()}, none blocked by Conditional Access.`,
    );
    return { user, since: since.toISOString(), signIns: [], notes };
  }

  const policies = new Map((await deps.policies.listPolicies()).map((p) => [p.id, p]));
  const groupIds = [...new Set([...policies.values()].flatMap((p) => userAssignments(p).excludeGroups))];
  const names = await deps.directory.namesOf(groupIds);
  const groupNames = new Map(groupIds.map((id) => [id, names.get(id)?.displayName ?? null]));
  const explained = failed.map((s) => explainSignIn(s, policies, groupNames));
  if (explained.some((e) => e.policyDetails === 'withheld')) notes.push(WITHHELD_NOTE);
  return { user, since: since.toISOString(), signIns: explained, notes };
}
