/**
 * Restore from a backup, plan first. The plan matches each backed-up policy to a live one (by id, else by exact name,
 * so a backup from another tenant updates rather than duplicates), maps references that no longer exist by name
 * through the backup's sidecar (users by userPrincipalName, groups and named locations by display name), drops and
 * reports the ones it cannot map (never sends them), keeps every configured break-glass exclusion, and puts
 * re-created policies in report-only unless asked otherwise. Applying needs the plan's id: each update first re-reads
 * the live policy and is refused when someone edited it after the plan was made (its modifiedDateTime moved).
 */
import type { AuditSink } from '../audit';
import { badRequest, conflict, notFound } from '../errors';
import { loadBackup, type LoadedBackup } from './backup';
import type { PlanStore } from './backupPorts';
import type { BackupStore } from './backupPorts';
import { diffValues, type PathChange } from './diff';
import { type CaPolicy, isJson, type Json, type PolicyState, userAssignments, withoutReadOnly } from './model';
import type { DirectoryLookup, PolicyReader, PolicyWriter } from './ports';
import { type Reference, referencesOf, rewriteReferences } from './references';

export interface BreakGlassConfig {
  readonly users: readonly string[];
  readonly groups: readonly string[];
}

export interface RestoreDeps {
  readonly store: BackupStore;
  readonly plans: PlanStore<RestorePlan>;
  readonly policies: PolicyReader & PolicyWriter;
  readonly directory: DirectoryLookup;
  readonly audit: AuditSink;
  readonly breakGlass: BreakGlassConfig;
  readonly now: () => Date;
  readonly newId: () => string;
}

export interface ReferenceNote {
  readonly id: string;
  readonly kind: Reference['kind'];
  readonly path: string;
  readonly name: string | null;
  /** The live object it was mapped to (by name), when it was. */
  readonly mappedTo?: string;
}

export type RestoreAction = 'create' | 'update' | 'unchanged' | 'refused';

export interface RestoreItem {
  readonly backupPolicyId: string;
  readonly displayName: string;
  readonly action: RestoreAction;
  readonly reason?: string;
  readonly livePolicyId?: string;
  readonly liveModifiedDateTime?: string | null;
  readonly body?: Json;
  readonly changes?: PathChange[];
  readonly droppedReferences: ReferenceNote[];
  readonly mappedReferences: ReferenceNote[];
  readonly breakGlassExclusionsAdded: string[];
  outcome?: 'created' | 'updated' | 'refused' | 'failed';
  outcomeCode?: string;
  outcomeMessage?: string;
  createdPolicyId?: string;
}

export interface RestorePlan {
  readonly planId: string;
  readonly backupId: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly state: PolicyState;
  readonly items: RestoreItem[];
  status: 'planned' | 'succeeded' | 'partial' | 'failed';
  appliedAt?: string;
  appliedBy?: string;
}

const EMPTY_TARGET = 'after dropping references that no longer exist, the policy would target nobody';

interface Resolution {
  readonly map: Map<string, string>;
  readonly notes: Map<string, ReferenceNote>;
}

/** Decides, for every referenced id, whether it exists live, maps by name, or must be dropped. */
async function resolveReferences(
  backup: LoadedBackup,
  selected: readonly CaPolicy[],
  deps: RestoreDeps,
): Promise<{ keep: (r: Reference) => string | undefined; note: (r: Reference) => ReferenceNote | undefined }> {
  const refs = selected.flatMap(referencesOf);
  const directoryIds = [...new Set(refs.filter((r) => r.kind === 'user' || r.kind === 'group').map((r) => r.id))];
  const live = await deps.directory.namesOf(directoryIds);
  const liveLocations = await deps.policies.listNamedLocations();
  const liveStrengths = await deps.policies.listAuthenticationStrengths();
  const byId = (list: Json[]) => new Set(list.map((o) => String(o.id)));
  const locationIds = byId(liveLocations);
  const strengthIds = byId(liveStrengths);
  const res: Resolution = { map: new Map(), notes: new Map() };

  for (const r of refs) {
    if (res.map.has(r.id) || res.notes.has(r.id)) continue;
    const side = backup.sidecar.names[r.id];
    const name = side?.userPrincipalName ?? side?.displayName ?? null;
    const exists =
      r.kind === 'user' || r.kind === 'group'
        ? live.has(r.id)
        : r.kind === 'namedLocation'
          ? locationIds.has(r.id)
          : r.kind === 'authenticationStrength'
            ? strengthIds.has(r.id)
            : true; // Role template ids and application ids are the same in every tenant.
    if (exists) {
      res.map.set(r.id, r.id);
      continue;
    }
    let candidates: string[] = [];
    if (name !== null && (r.kind === 'user' || r.kind === 'group')) {
      candidates = (await deps.directory.findByName(r.kind, name)).map((d) => d.id);
    } else if (name !== null && r.kind === 'namedLocation') {
      candidates = liveLocations.filter((l) => l.displayName === name).map((l) => String(l.id));
    } else if (name !== null && r.kind === 'authenticationStrength') {
      candidates = liveStrengths.filter((s) => s.displayName === name).map((s) => String(s.id));
    }
    const only = candidates.length === 1 ? candidates[0] : undefined;
    if (only !== undefined) {
      res.map.set(r.id, only);
      res.notes.set(r.id, { id: r.id, kind: r.kind, path: r.path, name, mappedTo: only });
    } else {
      res.notes.set(r.id, { id: r.id, kind: r.kind, path: r.path, name });
    }
  }
  return { keep: (r) => res.map.get(r.id), note: (r) => res.notes.get(r.id) };
}

function targetsSomeone(policy: Json): boolean {
  const u = userAssignments(policy);
  return u.includeUsers.length + u.includeGroups.length + u.includeRoles.length > 0 || hasGuestInclusion(policy);
}

function hasGuestInclusion(policy: Json): boolean {
  const conditions = isJson(policy.conditions) ? policy.conditions : {};
  return isJson(conditions.users) && isJson(conditions.users.includeGuestsOrExternalUsers);
}

/** Adds the configured break-glass accounts and groups that exist to the policy's exclusions; returns what it added. */
export function keepBreakGlass(policy: Json, breakGlass: BreakGlassConfig, existing: ReadonlySet<string>): string[] {
  const conditions = isJson(policy.conditions) ? policy.conditions : (policy.conditions = {});
  const users = isJson(conditions.users) ? conditions.users : (conditions.users = {});
  const added: string[] = [];
  for (const [key, ids] of [
    ['excludeUsers', breakGlass.users],
    ['excludeGroups', breakGlass.groups],
  ] as const) {
    const list = Array.isArray(users[key]) ? (users[key] as unknown[]) : [];
    for (const id of ids) {
      if (existing.has(id) && !list.includes(id)) {
        list.push(id);
        added.push(id);
      }
    }
    users[key] = list;
  }
  return added;
}

/** What every item of a plan is judged against: the live policies, reference mapping, and existing break-glass ids. */
interface PlanContext {
  readonly live: readonly CaPolicy[];
  readonly refs: Awaited<ReturnType<typeof resolveReferences>>;
  readonly existingBreakGlass: ReadonlySet<string>;
  readonly breakGlass: BreakGlassConfig;
  readonly state: PolicyState;
}

export async function planRestore(
  deps: RestoreDeps,
  request: { backupId: string; policyIds?: readonly string[]; state: PolicyState; actor: string },
): Promise<RestorePlan> {
  const backup = await loadBackup(deps.store, request.backupId);
  const selected = selectPolicies(backup, request.backupId, request.policyIds);
  const live = await deps.policies.listPolicies();
  const refs = await resolveReferences(backup, selected, deps);
  const breakGlassIds = [...deps.breakGlass.users, ...deps.breakGlass.groups];
  const existingBreakGlass = new Set((await deps.directory.namesOf(breakGlassIds)).keys());
  const ctx: PlanContext = { live, refs, existingBreakGlass, breakGlass: deps.breakGlass, state: request.state };
  const plan: RestorePlan = {
    planId: deps.newId(),
    backupId: request.backupId,
    createdAt: deps.now().toISOString(),
    createdBy: request.actor,
    state: request.state,
    items: selected.map((p) => planItem(p, ctx)),
    status: 'planned',
  };
  await deps.plans.put(plan.planId, plan);
  return plan;
}

/** The backup's policies to restore: all, or the requested ones (each must be in the backup). */
function selectPolicies(backup: LoadedBackup, backupId: string, policyIds: readonly string[] | undefined): CaPolicy[] {
  const wanted = policyIds ? new Set(policyIds) : undefined;
  if (wanted) {
    const unknown = [...wanted].filter((id) => !backup.policies.some((p) => p.id === id));
    if (unknown.length > 0)
      throw badRequest('POLICY_NOT_IN_BACKUP', `Backup ${backupId} has no policy ${unknown.join(', ')}`, { unknown });
  }
  return backup.policies.filter((p) => !wanted || wanted.has(p.id));
}

/** One policy's plan: its references rewritten (or dropped), refused, created in `state`, updated or unchanged. */
function planItem(p: CaPolicy, ctx: PlanContext): RestoreItem {
  const dropped: ReferenceNote[] = [];
  const mapped: ReferenceNote[] = [];
  const rewritten = rewriteReferences(withoutReadOnly(p), (r) => {
    const note = ctx.refs.note(r);
    const to = ctx.refs.keep(r);
    if (note) (to === undefined ? dropped : mapped).push({ ...note, path: r.path });
    return to;
  });
  const base = { backupPolicyId: p.id, displayName: p.displayName, droppedReferences: dropped, mappedReferences: mapped };
  if (dropped.some((d) => d.kind === 'authenticationStrength')) {
    return {
      ...base,
      action: 'refused',
      reason: 'its authentication strength no longer exists and has no namesake',
      breakGlassExclusionsAdded: [],
    };
  }
  if (!targetsSomeone(rewritten)) return { ...base, action: 'refused', reason: EMPTY_TARGET, breakGlassExclusionsAdded: [] };
  const added = keepBreakGlass(rewritten, ctx.breakGlass, ctx.existingBreakGlass);
  const match = ctx.live.find((l) => l.id === p.id) ?? uniqueByName(ctx.live, p.displayName);
  if (!match) {
    return { ...base, action: 'create', body: { ...rewritten, state: ctx.state }, breakGlassExclusionsAdded: added };
  }
  const changes: PathChange[] = [];
  diffValues(withoutReadOnly(match), rewritten, '', () => undefined, changes);
  return {
    ...base,
    action: changes.length === 0 ? 'unchanged' : 'update',
    livePolicyId: match.id,
    liveModifiedDateTime: match.modifiedDateTime ?? null,
    ...(changes.length === 0 ? {} : { body: rewritten, changes }),
    breakGlassExclusionsAdded: added,
  };
}

function uniqueByName(live: readonly CaPolicy[], name: string): CaPolicy | undefined {
  const same = live.filter((l) => l.displayName === name);
  return same.length === 1 ? same[0] : undefined;
}

export async function applyRestore(deps: RestoreDeps, planId: string, backupId: string, actor: string): Promise<RestorePlan> {
  const plan = await deps.plans.get(planId);
  if (!plan) throw notFound('PLAN_NOT_FOUND', `No restore plan '${planId}': run a dry run first and apply its planId`);
  if (plan.backupId !== backupId) {
    throw conflict('PLAN_MISMATCH', `Plan ${planId} restores backup ${plan.backupId}, not ${backupId}`);
  }
  if (plan.status !== 'planned') return plan; // Applied once already: the same answer again, nothing re-sent.

  for (const item of plan.items) {
    if (item.action !== 'create' && item.action !== 'update') continue;
    await applyItem(deps, plan, item, actor);
  }
  const tried = plan.items.filter((i) => i.outcome !== undefined);
  const ok = tried.filter((i) => i.outcome === 'created' || i.outcome === 'updated').length;
  plan.status = tried.length === ok ? 'succeeded' : ok === 0 ? 'failed' : 'partial';
  plan.appliedAt = deps.now().toISOString();
  plan.appliedBy = actor;
  await deps.plans.put(plan.planId, plan);
  return plan;
}

async function applyItem(deps: RestoreDeps, plan: RestorePlan, item: RestoreItem, actor: string): Promise<void> {
  const audit = (outcome: 'succeeded' | 'failed' | 'blocked', reason?: string) =>
    deps.audit.write([
      {
        action: `ca.restore.${item.action}`,
        outcome,
        actor,
        target: item.livePolicyId ?? item.createdPolicyId ?? item.backupPolicyId,
        job: 'ca-restore',
        runId: plan.planId,
        ...(reason ? { reason } : {}),
        details: { backupId: plan.backupId, displayName: item.displayName, dropped: item.droppedReferences.length },
      },
    ]);
  try {
    if (item.action === 'update' && item.livePolicyId && item.body) {
      const current = await deps.policies.getPolicy(item.livePolicyId);
      if (!current || (current.modifiedDateTime ?? null) !== (item.liveModifiedDateTime ?? null)) {
        item.outcome = 'refused';
        item.outcomeCode = current ? 'POLICY_CHANGED_SINCE_PLAN' : 'POLICY_DELETED_SINCE_PLAN';
        item.outcomeMessage = current
          ? `Policy '${item.displayName}' was modified at ${String(current.modifiedDateTime)} after the plan was made; run a new dry run`
          : `Policy '${item.displayName}' was deleted after the plan was made; run a new dry run`;
        await audit('blocked', item.outcomeMessage);
        return;
      }
      await deps.policies.updatePolicy(item.livePolicyId, item.body);
      item.outcome = 'updated';
    } else if (item.action === 'create' && item.body) {
      const created = await deps.policies.createPolicy(item.body);
      item.createdPolicyId = created.id;
      item.outcome = 'created';
    }
    await audit('succeeded');
  } catch (err) {
    item.outcome = 'failed';
    item.outcomeCode = 'GRAPH_WRITE_FAILED';
    item.outcomeMessage = err instanceof Error ? err.message : String(err);
    await audit('failed', item.outcomeMessage);
  }
}
