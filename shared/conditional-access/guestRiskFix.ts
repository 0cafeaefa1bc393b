/**
 * Applying the guest-risk fix, plan first: every finding of the guest-risk check (or the chosen ones) gets the tenant's
 * dynamic all-guests group added to `conditions.users.excludeGroups`, after the group is created when the tenant has
 * none. The dry run stores a plan with the exact PATCH per policy; applying needs that plan's id (younger than a day),
 * re-reads each policy and refuses the ones edited since the plan (their modifiedDateTime moved), and only ever appends
 * to the excluded groups, so existing exclusions (break-glass ones included) are never dropped. Applying a plan twice
 * answers the first result; a new dry run after an apply finds nothing to do.
 */
import type { AuditSink } from '../audit';
import { badRequest, notFound } from '../errors';
import type { PlanStore } from './backupPorts';
import { type DynamicGroupReader, findGuestRiskPolicies, GUEST_RULE, isAllGuestsRule } from './guestRisk';
import { type CaPolicy, isJson, type Json, userAssignments } from './model';
import type { PolicyReader, PolicyWriter } from './ports';

/** The dynamic group the fix creates when the tenant has no all-guests group (group-post-groups.md, groupTypes options). */
export const GUEST_GROUP = {
  displayName: 'All guests (dynamic)',
  mailNickname: 'all-guests-dynamic',
  description:
    'Every guest user; excluded from risk-based Conditional Access policies (guest risk lives in the home tenant). Managed by entra-ops.',
} as const;

/** Stands for the id of the group the apply creates, in a dry run's PATCH bodies. */
export const NEW_GROUP_ID = '{id of the created group}';

export interface DynamicGroupWriter {
  /** Creates a dynamic security group with this rule, processing on; returns its id. */
  createDynamicGroup(group: DynamicGroupSpec): Promise<string>;
}

export interface DynamicGroupSpec {
  readonly displayName: string;
  readonly mailNickname: string;
  readonly description: string;
  readonly membershipRule: string;
}

export interface GuestRiskFixDeps {
  readonly policies: PolicyReader & PolicyWriter;
  readonly groups: DynamicGroupReader & DynamicGroupWriter;
  readonly plans: PlanStore<GuestRiskFixPlan>;
  readonly audit: AuditSink;
  readonly now: () => Date;
  readonly newId: () => string;
}

export interface GuestRiskFixItem {
  readonly policyId: string;
  readonly policyName: string;
  readonly state: string;
  readonly modifiedDateTime: string | null;
  /** The PATCH body sent to /identity/conditionalAccess/policies/{policyId}. */
  readonly patch: Json;
  outcome?: 'updated' | 'unchanged' | 'refused' | 'failed';
  outcomeCode?: string;
  outcomeMessage?: string;
}

export interface GuestRiskFixPlan {
  readonly planId: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly group:
    | { readonly action: 'reuse'; readonly id: string; readonly displayName: string | null }
    | { readonly action: 'create'; readonly displayName: string; readonly body: Json };
  readonly items: GuestRiskFixItem[];
  /** Requested policies that need no fix (or are no risk policy reaching guests), with why. */
  readonly skipped: { policyId: string; reason: string }[];
  status: 'planned' | 'succeeded' | 'partial' | 'failed';
  appliedAt?: string;
  appliedBy?: string;
  createdGroupId?: string;
}

const PLAN_TTL_MS = 24 * 3600_000;

/** The body POST /groups receives for the all-guests group: a security group whose members the rule decides. */
export function dynamicGroupBody(spec: DynamicGroupSpec): Json {
  return {
    displayName: spec.displayName,
    description: spec.description,
    mailEnabled: false,
    mailNickname: spec.mailNickname,
    securityEnabled: true,
    groupTypes: ['DynamicMembership'],
    membershipRule: spec.membershipRule,
    membershipRuleProcessingState: 'On',
  };
}

/** The policy's whole `conditions.users` with the group appended to excludeGroups (nothing removed, no duplicate). */
export function excludeGroupPatch(policy: Json, groupId: string): Json {
  const conditions = isJson(policy.conditions) ? policy.conditions : {};
  const users = { ...(isJson(conditions.users) ? conditions.users : {}) };
  const excluded = userAssignments(policy).excludeGroups;
  users.excludeGroups = excluded.includes(groupId) ? [...excluded] : [...excluded, groupId];
  return { conditions: { users } };
}

export async function planGuestRiskFix(
  deps: GuestRiskFixDeps,
  request: { policyIds?: readonly string[]; actor: string },
): Promise<GuestRiskFixPlan> {
  // One read of each (the Conditional Access budget is 1 request/s per tenant).
  const live = await deps.policies.listPolicies();
  const guestGroups = (await deps.groups.dynamicGroups()).filter((g) => isAllGuestsRule(g.membershipRule));
  const wanted = request.policyIds ? new Set(request.policyIds) : undefined;
  if (wanted) {
    const unknown = [...wanted].filter((id) => !live.some((p) => p.id === id));
    if (unknown.length > 0) throw notFound('POLICY_NOT_FOUND', `No Conditional Access policy ${unknown.join(', ')}`, { unknown });
  }
  const reuse = guestGroups[0];
  const groupId = reuse?.id ?? NEW_GROUP_ID;
  const all = findGuestRiskPolicies(live, new Set(guestGroups.map((g) => g.id)), reuse?.id ?? null);
  const findings = all.filter((f) => !wanted || wanted.has(f.policyId));
  const items = findings.map((f): GuestRiskFixItem => {
    const policy = live.find((p) => p.id === f.policyId) as CaPolicy;
    return {
      policyId: f.policyId,
      policyName: f.policyName,
      state: f.state,
      modifiedDateTime: policy.modifiedDateTime ?? null,
      patch: excludeGroupPatch(policy, groupId),
    };
  });
  const found = new Set(findings.map((f) => f.policyId));
  const skipped = [...(wanted ?? [])]
    .filter((id) => !found.has(id))
    .map((policyId) => ({ policyId, reason: 'not a risk policy that reaches guests without excluding them' }));
  const spec = { ...GUEST_GROUP, membershipRule: GUEST_RULE };
  const plan: GuestRiskFixPlan = {
    planId: deps.newId(),
    createdAt: deps.now().toISOString(),
    createdBy: request.actor,
    group: reuse
      ? { action: 'reuse', id: reuse.id, displayName: reuse.displayName }
      : { action: 'create', displayName: spec.displayName, body: dynamicGroupBody(spec) },
    items,
    skipped,
    status: 'planned',
  };
  await deps.plans.put(plan.planId, plan);
  return plan;
}

export async function applyGuestRiskFix(deps: GuestRiskFixDeps, planId: string, actor: string): Promise<GuestRiskFixPlan> {
  const plan = await deps.plans.get(planId);
  if (!plan || deps.now().getTime() - Date.parse(plan.createdAt) > PLAN_TTL_MS) {
    throw notFound('PLAN_NOT_FOUND', `No current guest-risk plan '${planId}': run a new dry run and apply its planId`);
  }
  if (plan.status !== 'planned') return plan; // Applied once already: the same answer again, nothing re-sent.
  const pending = plan.items.length > 0 ? await guestGroupFor(deps, plan, actor) : undefined;
  for (const item of plan.items) if (pending) await applyItem(deps, plan, item, pending, actor);
  const changed = plan.items.filter((i) => i.outcome === 'updated' || i.outcome === 'unchanged').length;
  plan.status = changed === plan.items.length ? 'succeeded' : changed === 0 ? 'failed' : 'partial';
  plan.appliedAt = deps.now().toISOString();
  plan.appliedBy = actor;
  await deps.plans.put(plan.planId, plan);
  return plan;
}

/** The all-guests group to exclude: the planned one, one someone made since the plan, or a new one (audited). */
async function guestGroupFor(deps: GuestRiskFixDeps, plan: GuestRiskFixPlan, actor: string): Promise<string> {
  if (plan.group.action === 'reuse') return plan.group.id;
  const existing = (await deps.groups.dynamicGroups()).find((g) => isAllGuestsRule(g.membershipRule));
  if (existing) return existing.id;
  const id = await deps.groups.createDynamicGroup({ ...GUEST_GROUP, membershipRule: GUEST_RULE });
  plan.createdGroupId = id;
  await deps.audit.write([
    {
      action: 'ca.guestRisk.groupCreated',
      outcome: 'succeeded',
      actor,
      target: id,
      job: 'ca-guest-risk',
      runId: plan.planId,
      details: { displayName: GUEST_GROUP.displayName, membershipRule: GUEST_RULE },
    },
  ]);
  return id;
}

async function applyItem(
  deps: GuestRiskFixDeps,
  plan: GuestRiskFixPlan,
  item: GuestRiskFixItem,
  groupId: string,
  actor: string,
): Promise<void> {
  const current = await deps.policies.getPolicy(item.policyId);
  if (!current || (current.modifiedDateTime ?? null) !== item.modifiedDateTime) {
    item.outcome = 'refused';
    item.outcomeCode = current ? 'POLICY_CHANGED_SINCE_PLAN' : 'POLICY_DELETED_SINCE_PLAN';
    item.outcomeMessage = current
      ? `Policy '${item.policyName}' was modified at ${String(current.modifiedDateTime)} after the plan was made; run a new dry run`
      : `Policy '${item.policyName}' was deleted after the plan was made`;
  } else if (userAssignments(current).excludeGroups.includes(groupId)) {
    item.outcome = 'unchanged';
  } else {
    try {
      await deps.policies.updatePolicy(item.policyId, excludeGroupPatch(current, groupId));
      item.outcome = 'updated';
    } catch (err) {
      item.outcome = 'failed';
      item.outcomeCode = 'GRAPH_WRITE_FAILED';
      item.outcomeMessage = err instanceof Error ? err.message : String(err);
    }
  }
  await auditItem(deps, plan, item, groupId, actor);
}

const AUDIT_OUTCOME = { updated: 'succeeded', unchanged: 'skipped', refused: 'blocked', failed: 'failed' } as const;

function auditItem(deps: GuestRiskFixDeps, plan: GuestRiskFixPlan, item: GuestRiskFixItem, groupId: string, actor: string) {
  return deps.audit.write([
    {
      action: 'ca.guestRisk.excludeGroup',
      outcome: AUDIT_OUTCOME[item.outcome ?? 'failed'],
      actor,
      target: item.policyId,
      job: 'ca-guest-risk',
      runId: plan.planId,
      ...(item.outcomeMessage ? { reason: item.outcomeMessage } : {}),
      details: { policyName: item.policyName, groupId },
    },
  ]);
}

/** Applying needs the dry run's plan (the same pattern as restore and expiring exclusions). */
export function requirePlanId(planId: string | undefined): string {
  if (!planId) throw badRequest('PLAN_REQUIRED', 'Run a dry run first and send its planId with dryRun=false');
  return planId;
}
