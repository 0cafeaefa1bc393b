/**
 * Expiring exclusions: a user is exempted from one policy by membership of that policy's dedicated exclusion group
 * (named `CA exclusion <policyId>`, so it never exempts anyone from another policy), never by editing the policy's
 * user list. A timer removes the member at `expiresAt`. Creating the group and adding it to the policy changes the
 * policy, so it is only done with the planId of a dry run for that policy.
 */
import type { AuditSink } from '../audit';
import { badRequest, conflict, notFound } from '../errors';
import { type CaPolicy, isJson, userAssignments } from './model';
import type { DirectoryLookup, DirectoryName, PolicyReader, PolicyWriter, UserRef } from './ports';

export type ExclusionStatus = 'active' | 'ended' | 'expired';

export interface Exclusion {
  readonly exclusionId: string;
  readonly policyId: string;
  readonly policyName: string;
  readonly groupId: string;
  readonly userId: string;
  readonly userPrincipalName: string;
  readonly expiresAt: string;
  readonly reason: string;
  readonly createdBy: string;
  readonly createdAt: string;
  status: ExclusionStatus;
  endedAt?: string;
  endedBy?: string;
  /**
   * Set (and stored) before the membership DELETE is sent. A run that finds it set knows an earlier run may have died
   * after Graph applied the DELETE, so it reads the group's members before sending the DELETE again.
   */
  removalStartedAt?: string;
}

export interface ExclusionPlan {
  readonly planId: string;
  readonly policyId: string;
  readonly createdAt: string;
}

export interface ExclusionStore {
  get(exclusionId: string): Promise<Exclusion | undefined>;
  put(exclusion: Exclusion): Promise<void>;
  listActive(): Promise<Exclusion[]>;
  getPlan(planId: string): Promise<ExclusionPlan | undefined>;
  putPlan(plan: ExclusionPlan): Promise<void>;
}

export interface ExclusionGroups {
  /** A security group (not mail-enabled, assigned membership); returns its id. */
  createSecurityGroup(displayName: string, mailNickname: string, description: string): Promise<string>;
  /** `false` when the object already was a member. */
  addMember(groupId: string, objectId: string): Promise<boolean>;
  /** `false` when the object was no longer a member (or the group is gone). */
  removeMember(groupId: string, objectId: string): Promise<boolean>;
  /** Whether the object is a direct member; `false` when the group is gone. */
  isMember(groupId: string, objectId: string): Promise<boolean>;
}

export interface ExclusionDeps {
  readonly policies: PolicyReader & PolicyWriter;
  readonly directory: DirectoryLookup;
  readonly groups: ExclusionGroups;
  readonly store: ExclusionStore;
  readonly audit: AuditSink;
  readonly now: () => Date;
  readonly newId: () => string;
  readonly maxDays: number;
}

export interface ExclusionRequest {
  readonly policyId: string;
  readonly user: string;
  readonly expiresAt: string;
  readonly reason: string;
  readonly dryRun: boolean;
  readonly planId?: string;
}

/** Plans older than this are refused: the policy may have changed since someone looked. */
const PLAN_TTL_MS = 24 * 3600_000;

export const exclusionGroupName = (policyId: string): string => `CA exclusion ${policyId}`;

type PolicyChange = 'none' | 'excludeGroup' | 'createGroupAndExclude';

/** What a request would do, decided before anything is written. */
interface ExclusionDraft {
  readonly policy: CaPolicy;
  readonly user: UserRef;
  readonly expires: Date;
  readonly excluded: ReadonlySet<string>;
  readonly existingGroup: DirectoryName | undefined;
  readonly policyChange: PolicyChange;
}

export async function requestExclusion(deps: ExclusionDeps, req: ExclusionRequest, actor: string) {
  const now = deps.now();
  const draft = await draftExclusion(deps, req, now);
  const summary = summarise(req, draft);
  if (req.dryRun) {
    const plan: ExclusionPlan = { planId: deps.newId(), policyId: req.policyId, createdAt: now.toISOString() };
    await deps.store.putPlan(plan);
    return { dryRun: true as const, planId: plan.planId, ...summary };
  }
  const groupId = await ensureGroupExcluded(deps, req, draft, now, actor);
  await deps.groups.addMember(groupId, draft.user.id);
  const exclusion = await recordExclusion(deps, req, draft, groupId, now, actor);
  return { dryRun: false as const, exclusion, policyChange: draft.policyChange };
}

function checkExpiry(req: ExclusionRequest, now: Date, maxDays: number): Date {
  const expires = new Date(req.expiresAt);
  if (expires.getTime() <= now.getTime()) {
    throw badRequest('EXPIRY_IN_PAST', `expiresAt ${req.expiresAt} is not in the future`);
  }
  if (expires.getTime() > now.getTime() + maxDays * 86_400_000) {
    throw badRequest('EXPIRY_TOO_FAR', `expiresAt may be at most ${maxDays} days ahead`, { maxDays });
  }
  return expires;
}

async function draftExclusion(deps: ExclusionDeps, req: ExclusionRequest, now: Date): Promise<ExclusionDraft> {
  const expires = checkExpiry(req, now, deps.maxDays);
  const policy = await deps.policies.getPolicy(req.policyId);
  if (!policy) throw notFound('POLICY_NOT_FOUND', `No Conditional Access policy '${req.policyId}'`);
  const user = await deps.directory.findUser(req.user);
  if (!user) throw notFound('USER_NOT_FOUND', `No user '${req.user}'`);
  const duplicate = (await deps.store.listActive()).find((e) => e.policyId === req.policyId && e.userId === user.id);
  if (duplicate) {
    throw conflict('EXCLUSION_EXISTS', `${user.userPrincipalName} already has an active exclusion from this policy`, {
      exclusionId: duplicate.exclusionId,
    });
  }
  const excluded = new Set(userAssignments(policy).excludeGroups);
  const named = await deps.directory.findByName('group', exclusionGroupName(req.policyId));
  const existingGroup = named.find((g) => g.type === 'group');
  const policyChange: PolicyChange = !existingGroup
    ? 'createGroupAndExclude'
    : excluded.has(existingGroup.id)
      ? 'none'
      : 'excludeGroup';
  return { policy, user, expires, excluded, existingGroup, policyChange };
}

function summarise(req: ExclusionRequest, d: ExclusionDraft) {
  return {
    policy: { id: d.policy.id, displayName: d.policy.displayName },
    user: { id: d.user.id, userPrincipalName: d.user.userPrincipalName },
    group: d.existingGroup
      ? { id: d.existingGroup.id, displayName: d.existingGroup.displayName }
      : { displayName: exclusionGroupName(req.policyId) },
    policyChange: d.policyChange,
    expiresAt: d.expires.toISOString(),
  };
}

/** Creates the policy's group and/or adds it to the policy's excluded groups, only with a seen plan; returns its id. */
async function ensureGroupExcluded(
  deps: ExclusionDeps,
  req: ExclusionRequest,
  d: ExclusionDraft,
  now: Date,
  actor: string,
): Promise<string> {
  if (d.policyChange === 'none' && d.existingGroup) return d.existingGroup.id;
  await requirePlan(deps, req, now);
  const groupId =
    d.existingGroup?.id ??
    (await deps.groups.createSecurityGroup(
      exclusionGroupName(req.policyId),
      `ca-exclusion-${req.policyId.replace(/[^A-Za-z0-9]/g, '').slice(0, 40)}`,
      `Temporary exclusions from the Conditional Access policy '${String(d.policy.displayName)}', managed by entra-ops`,
    ));
  const conditions = d.policy.conditions;
  const users = { ...(isJson(conditions) && isJson(conditions.users) ? conditions.users : {}) };
  users.excludeGroups = [...d.excluded, groupId];
  await deps.policies.updatePolicy(req.policyId, { conditions: { users } });
  await deps.audit.write([
    {
      action: 'ca.exclusion.groupExcluded',
      outcome: 'succeeded',
      actor,
      target: req.policyId,
      job: 'ca-exclusions',
      details: { groupId },
    },
  ]);
  return groupId;
}

async function recordExclusion(
  deps: ExclusionDeps,
  req: ExclusionRequest,
  d: ExclusionDraft,
  groupId: string,
  now: Date,
  actor: string,
): Promise<Exclusion> {
  const exclusion: Exclusion = {
    exclusionId: deps.newId(),
    policyId: req.policyId,
    policyName: String(d.policy.displayName),
    groupId,
    userId: d.user.id,
    userPrincipalName: d.user.userPrincipalName,
    expiresAt: d.expires.toISOString(),
    reason: req.reason,
    createdBy: actor,
    createdAt: now.toISOString(),
    status: 'active',
  };
  await deps.store.put(exclusion);
  await deps.audit.write([
    {
      action: 'ca.exclusion.add',
      outcome: 'succeeded',
      actor,
      target: d.user.id,
      job: 'ca-exclusions',
      runId: exclusion.exclusionId,
      reason: req.reason,
      details: { policyId: req.policyId, groupId, expiresAt: exclusion.expiresAt },
    },
  ]);
  return exclusion;
}

async function requirePlan(deps: ExclusionDeps, req: ExclusionRequest, now: Date): Promise<void> {
  if (!req.planId) {
    throw badRequest(
      'PLAN_REQUIRED',
      'This exclusion changes the policy: run a dry run first and send its planId with dryRun=false',
    );
  }
  const plan = await deps.store.getPlan(req.planId);
  if (!plan || now.getTime() - Date.parse(plan.createdAt) > PLAN_TTL_MS) {
    throw notFound('PLAN_NOT_FOUND', `No current exclusion plan '${req.planId}': run a new dry run`);
  }
  if (plan.policyId !== req.policyId) throw conflict('PLAN_MISMATCH', `Plan ${req.planId} is for policy ${plan.policyId}`);
}

export async function listActiveExclusions(store: ExclusionStore): Promise<Exclusion[]> {
  return (await store.listActive()).sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
}

/**
 * Removes the membership, then records the end. Crash-safe without sending the DELETE twice: the intent is stored
 * first, and a run that finds an earlier run's intent reads the group before deciding whether a DELETE is still needed.
 */
async function finish(deps: ExclusionDeps, e: Exclusion, status: 'ended' | 'expired', actor: string): Promise<Exclusion> {
  const wasMember = await removeMembershipOnce(deps, e);
  e.status = status;
  e.endedAt = deps.now().toISOString();
  e.endedBy = actor;
  await deps.store.put(e);
  // Remaining gap: a kill between the put above and this write loses the audit row (the exclusion is no longer
  // active, so no later run comes back to it); the stored record still says who ended it and when. Writing the row
  // first would duplicate it instead, since audit rows are keyed by time and a random id and cannot be written
  // idempotently. The kill suite reports such losses as `auditRowsMissing`.
  await deps.audit.write([
    {
      action: status === 'expired' ? 'ca.exclusion.expire' : 'ca.exclusion.end',
      outcome: 'succeeded',
      actor,
      target: e.userId,
      job: 'ca-exclusions',
      runId: e.exclusionId,
      details: { policyId: e.policyId, groupId: e.groupId, wasMember },
    },
  ]);
  return e;
}

/**
 * Whether the user was a member when removed (`null`: unknown). A first attempt stores `removalStartedAt`, then sends
 * the DELETE; a retry after a crash sends it only if the user is still a member, so a DELETE Graph already applied is
 * never sent again. A retry that finds the membership gone cannot tell whether the earlier run's DELETE or someone
 * else removed it, hence `null`.
 */
async function removeMembershipOnce(deps: ExclusionDeps, e: Exclusion): Promise<boolean | null> {
  if (e.removalStartedAt === undefined) {
    e.removalStartedAt = deps.now().toISOString();
    await deps.store.put(e);
    return deps.groups.removeMember(e.groupId, e.userId);
  }
  if (!(await deps.groups.isMember(e.groupId, e.userId))) return null;
  return deps.groups.removeMember(e.groupId, e.userId);
}

/** Ends an exclusion now; ending one that already ended answers it unchanged. */
export async function endExclusion(deps: ExclusionDeps, exclusionId: string, actor: string): Promise<Exclusion> {
  const e = await deps.store.get(exclusionId);
  if (!e) throw notFound('EXCLUSION_NOT_FOUND', `No exclusion '${exclusionId}'`);
  return e.status === 'active' ? finish(deps, e, 'ended', actor) : e;
}

/** The timer: every active exclusion whose expiresAt has passed loses its membership; one failure does not stop the rest. */
export async function expireDue(
  deps: ExclusionDeps,
): Promise<{ expired: string[]; failed: { exclusionId: string; message: string }[] }> {
  const now = deps.now().getTime();
  const expired: string[] = [];
  const failed: { exclusionId: string; message: string }[] = [];
  for (const e of await deps.store.listActive()) {
    if (Date.parse(e.expiresAt) > now) continue;
    try {
      await finish(deps, e, 'expired', 'timer');
      expired.push(e.exclusionId);
    } catch (err) {
      failed.push({ exclusionId: e.exclusionId, message: err instanceof Error ? err.message : String(err) });
    }
  }
  return { expired, failed };
}
