/**
 * The pure difference calculator, run before any write: from the members read, compute who should be in the target and
 * what to add and remove. No I/O; everything the run decides is decided here and in guardrails.ts.
 */

import type { MemberType, SyncMode, UserTypeFilter } from './jobModel';
import type { MemberFacts } from './ports';

export type DirectMembers = ReadonlyMap<string, ReadonlyMap<string, MemberFacts>>;

export interface MemberFilter {
  readonly memberTypes: readonly MemberType[];
  readonly userType: UserTypeFilter;
  readonly includeDisabled: boolean;
}

/** Members of `groupId`: its direct members, or with `transitive` every member of nested groups too (cycle-safe). */
export function expandMembers(groupId: string, transitive: boolean, groups: DirectMembers): Map<string, MemberFacts> {
  const out = new Map<string, MemberFacts>();
  const visited = new Set<string>([groupId]);
  const queue = [groupId];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    for (const member of groups.get(current)?.values() ?? []) {
      if (!out.has(member.id)) out.set(member.id, member);
      if (transitive && member.type === 'group' && !visited.has(member.id)) {
        visited.add(member.id);
        queue.push(member.id);
      }
    }
  }
  return out;
}

/** Nested groups reachable from `groupId` that `groups` does not hold yet: the next ones to read. */
export function unreadNestedGroups(groupId: string, groups: DirectMembers): string[] {
  const missing = new Set<string>();
  for (const member of expandMembers(groupId, true, groups).values()) {
    if (member.type === 'group' && !groups.has(member.id)) missing.add(member.id);
  }
  return [...missing];
}

export function passesFilter(member: MemberFacts, filter: MemberFilter): boolean {
  if (member.type === 'other' || !filter.memberTypes.includes(member.type)) return false;
  if (member.type === 'user' && filter.userType !== 'any' && member.userType !== filter.userType) return false;
  // Users, devices and service principals have accountEnabled; groups do not. Unknown (not read) counts as enabled.
  if (!filter.includeDisabled && member.type !== 'group' && member.accountEnabled === false) return false;
  return true;
}

export interface DesiredInput {
  readonly targetId: string;
  readonly sources: readonly { readonly group: string; readonly transitive: boolean }[];
  readonly exclude: readonly { readonly group: string; readonly transitive: boolean }[];
  readonly groups: DirectMembers;
  readonly filter: MemberFilter;
}

/** Union of the sources' members that pass the filter, minus members of the exclude groups and the target itself. */
export function desiredMembers(input: DesiredInput): Set<string> {
  const excluded = new Set<string>([input.targetId]);
  for (const ex of input.exclude) {
    excluded.add(ex.group);
    for (const id of expandMembers(ex.group, ex.transitive, input.groups).keys()) excluded.add(id);
  }
  const desired = new Set<string>();
  for (const source of input.sources) {
    for (const member of expandMembers(source.group, source.transitive, input.groups).values()) {
      if (!excluded.has(member.id) && passesFilter(member, input.filter)) desired.add(member.id);
    }
  }
  return desired;
}

export interface PlanInput {
  readonly desired: ReadonlySet<string>;
  /** Direct members of the target now. */
  readonly current: ReadonlySet<string>;
  readonly mode: SyncMode;
  readonly protectedIds: ReadonlySet<string>;
  /** Members this job added earlier (additive mode removes only these). */
  readonly addedByJob: ReadonlySet<string>;
}

export interface SyncPlan {
  readonly add: string[];
  readonly remove: string[];
  readonly unchanged: number;
  /** Current members kept only because they are protected. */
  readonly keptProtected: number;
}

export function computePlan(input: PlanInput): SyncPlan {
  const add = [...input.desired].filter((id) => !input.current.has(id)).sort();
  const remove: string[] = [];
  let keptProtected = 0;
  for (const id of input.current) {
    if (input.desired.has(id)) continue;
    const removable = input.mode === 'mirror' || input.addedByJob.has(id);
    if (!removable) continue;
    if (input.protectedIds.has(id)) keptProtected++;
    else remove.push(id);
  }
  remove.sort();
  return { add, remove, unchanged: input.current.size - remove.length, keptProtected };
}
