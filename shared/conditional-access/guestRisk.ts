/**
 * Guest-risk check. A guest's user risk is computed in their home tenant and cannot be remediated or dismissed in
 * ours, so a user-risk (or sign-in-risk) policy that includes guests blocks them with no way out. A finding is a risk
 * policy whose assignment reaches guests (All users, the GuestsOrExternalUsers keyword, or includeGuestsOrExternalUsers)
 * and that does not exclude them (the keyword, excludeGuestsOrExternalUsers, or a dynamic `userType -eq "Guest"` group).
 * The offered fix: exclude a dynamic group with that rule, reusing one when the tenant has it.
 */
import { isJson, type Json, riskLevels, userAssignments } from './model';

export const GUEST_RULE = '(user.userType -eq "Guest")';

export interface GuestRiskFinding {
  readonly policyId: string;
  readonly policyName: string;
  readonly state: string;
  readonly riskConditions: { userRiskLevels: string[]; signInRiskLevels: string[] };
  readonly reason: string;
  /** The fix: add this dynamic group to the policy's excluded groups (`null` = a group with the rule must be created). */
  readonly fix: { excludeGroupId: string | null; membershipRule: string };
}

const normaliseRule = (rule: string): string => rule.replace(/\s+/g, '').toLowerCase();

/** Whether a group's membership rule is exactly "all guests" (spacing and case aside, with or without parentheses). */
export function isAllGuestsRule(rule: unknown): boolean {
  if (typeof rule !== 'string') return false;
  const r = normaliseRule(rule).replace(/^\((.*)\)$/, '$1');
  return r === 'user.usertype-eq"guest"';
}

export function findGuestRiskPolicies(
  policies: readonly Json[],
  guestGroupIds: ReadonlySet<string>,
  reusableGroupId: string | null,
): GuestRiskFinding[] {
  const out: GuestRiskFinding[] = [];
  for (const p of policies) {
    const risk = riskLevels(p);
    if (risk.user.length === 0 && risk.signIn.length === 0) continue;
    const u = userAssignments(p);
    const conditions = isJson(p.conditions) ? p.conditions : {};
    const users = isJson(conditions.users) ? conditions.users : {};
    const includesGuests =
      u.includeUsers.includes('All') ||
      u.includeUsers.includes('GuestsOrExternalUsers') ||
      isJson(users.includeGuestsOrExternalUsers);
    const excludesGuests =
      u.excludeUsers.includes('GuestsOrExternalUsers') ||
      isJson(users.excludeGuestsOrExternalUsers) ||
      u.excludeGroups.some((g) => guestGroupIds.has(g));
    if (!includesGuests || excludesGuests) continue;
    out.push({
      policyId: String(p.id),
      policyName: String(p.displayName),
      state: String(p.state),
      riskConditions: { userRiskLevels: risk.user, signInRiskLevels: risk.signIn },
      reason:
        "The policy includes guests and uses risk conditions; a guest's user risk lives in their home tenant and cannot be remediated here, so they stay blocked.",
      fix: { excludeGroupId: reusableGroupId, membershipRule: GUEST_RULE },
    });
  }
  return out;
}

export interface DynamicGroupReader {
  /** Dynamic-membership groups with their rules. */
  dynamicGroups(): Promise<{ id: string; displayName: string | null; membershipRule: string | null }[]>;
}

export interface GuestRiskReport {
  readonly checkedPolicies: number;
  readonly guestGroups: { id: string; displayName: string | null }[];
  readonly findings: GuestRiskFinding[];
}

export async function checkGuestRisk(deps: {
  policies: { listPolicies(): Promise<Json[]> };
  groups: DynamicGroupReader;
}): Promise<GuestRiskReport> {
  const policies = await deps.policies.listPolicies();
  const guestGroups = (await deps.groups.dynamicGroups()).filter((g) => isAllGuestsRule(g.membershipRule));
  const ids = new Set(guestGroups.map((g) => g.id));
  return {
    checkedPolicies: policies.length,
    guestGroups: guestGroups.map((g) => ({ id: g.id, displayName: g.displayName })),
    findings: findGuestRiskPolicies(policies, ids, guestGroups[0]?.id ?? null),
  };
}
