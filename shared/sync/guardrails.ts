/**
 * Safety decided once, on the plan, before anything is written: limits that block a run, and targets Graph cannot or must not
 * write. A blocked run applies nothing.
 */

import type { SyncLimits } from './jobModel';
import type { SyncPlan } from './plan';
import type { GroupInfo } from './ports';

export interface LimitViolation {
  readonly limit: keyof SyncLimits;
  readonly allowed: number;
  readonly planned: number;
}

export function limitViolations(
  plan: Pick<SyncPlan, 'add' | 'remove'>,
  limits: SyncLimits,
  currentCount: number,
): LimitViolation[] {
  const out: LimitViolation[] = [];
  if (limits.maxAdds !== undefined && plan.add.length > limits.maxAdds) {
    out.push({ limit: 'maxAdds', allowed: limits.maxAdds, planned: plan.add.length });
  }
  if (limits.maxRemovals !== undefined && plan.remove.length > limits.maxRemovals) {
    out.push({ limit: 'maxRemovals', allowed: limits.maxRemovals, planned: plan.remove.length });
  }
  if (limits.maxRemovalPercent !== undefined && plan.remove.length > 0) {
    // Removing anything from an empty target cannot happen; from a non-empty one it is a share of what is there now.
    const percent = currentCount === 0 ? 100 : (plan.remove.length / currentCount) * 100;
    if (percent > limits.maxRemovalPercent) {
      out.push({ limit: 'maxRemovalPercent', allowed: limits.maxRemovalPercent, planned: Math.round(percent * 100) / 100 });
    }
  }
  return out;
}

export function describeViolations(violations: readonly LimitViolation[]): string {
  return violations
    .map((v) =>
      v.limit === 'maxRemovalPercent'
        ? `the plan removes ${v.planned}% of the target's members, over maxRemovalPercent ${v.allowed}`
        : `the plan has ${v.planned} ${v.limit === 'maxAdds' ? 'adds' : 'removals'}, over ${v.limit} ${v.allowed}`,
    )
    .join('; ');
}

export interface TargetProblem {
  readonly code: string;
  readonly message: string;
}

/**
 * Graph can only write the membership of cloud-mastered, assigned-membership groups that are not Exchange-mastered:
 * - dynamic groups: "You can't remove a member from groups with dynamic memberships" (group-delete-members.md);
 * - onPremisesSyncEnabled groups are mastered in AD, Entra Connect overwrites any change;
 * - mail-enabled security groups and distribution lists are mastered in Exchange Online (Graph refuses writes).
 * Microsoft 365 groups are mail-enabled too but Graph writes them, so `Unified` is allowed.
 */
export function targetProblems(group: GroupInfo): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const name = `'${group.displayName}' (${group.id})`;
  if (group.groupTypes.includes('DynamicMembership')) {
    problems.push({
      code: 'SYNC_TARGET_DYNAMIC',
      message: `Target ${name} has dynamic membership: its members come from its rule and Graph cannot add or remove them. Convert it to assigned membership first.`,
    });
  }
  if (group.onPremisesSyncEnabled === true) {
    problems.push({
      code: 'SYNC_TARGET_ON_PREMISES',
      message: `Target ${name} is synchronised from on-premises AD: its membership is mastered there and changes made in Entra would be overwritten.`,
    });
  }
  if (group.mailEnabled && !group.groupTypes.includes('Unified')) {
    problems.push({
      code: 'SYNC_TARGET_MAIL_ENABLED',
      message: group.securityEnabled
        ? `Target ${name} is a mail-enabled security group: its membership is mastered in Exchange Online and Graph cannot write it.`
        : `Target ${name} is a distribution group: its membership is mastered in Exchange Online and Graph cannot write it.`,
    });
  }
  return problems;
}

export function targetWarnings(group: GroupInfo): string[] {
  return group.isAssignableToRole === true
    ? [
        `Target '${group.displayName}' (${group.id}) is role-assignable: changing its members also needs the RoleManagement.ReadWrite.Directory application permission, and every member gets the group's directory roles.`,
      ]
    : [];
}

export function fanOutWarning(desiredCount: number, threshold: number): string[] {
  return desiredCount > threshold
    ? [
        `The job wants ${desiredCount} members in the target, over SYNC_LARGE_TARGET_WARNING (${threshold}); check that the sources are the intended ones.`,
      ]
    : [];
}
