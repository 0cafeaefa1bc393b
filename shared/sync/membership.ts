/**
 * Reads what a run needs: the direct members of the target, the sources, the exclude groups and (for transitive ones)
 * every nested group. The first run reads each group in full; later runs start from the stored snapshot and read only
 * a delta round per group, so a run with few changes costs O(changes) Graph work. A snapshot is re-read in full when
 * the job needs member properties it did not hold, or after `fullRefreshMs`: delta rounds report membership changes
 * but not property changes (a member disabled later), so the periodic full read bounds how stale filters can be.
 */

import type { SyncJob } from './jobModel';
import { unreadNestedGroups } from './plan';
import type {
  GroupInfo,
  GroupReadRequest,
  GroupReadResult,
  GroupSnapshot,
  MemberFacts,
  MemberProperty,
  MembershipReader,
  SnapshotStore,
} from './ports';

export interface MembershipDeps {
  readonly reader: MembershipReader;
  readonly snapshots: SnapshotStore;
  readonly now: () => Date;
  readonly fullRefreshMs: number;
  /** Throws unless the run still holds its lease (renewed on its etag); called before every snapshot write. */
  readonly fence?: () => Promise<void>;
}

export interface LoadedMembership {
  /** Direct members of every group read. */
  readonly groups: Map<string, Map<string, MemberFacts>>;
  /** Group objects of the target, sources and exclude groups (fresh names and flags). */
  readonly info: Map<string, GroupInfo>;
  readonly reads: Map<string, 'full' | 'delta'>;
  /** Groups that do not exist (any role). */
  readonly missing: Set<string>;
  readonly snapshots: Map<string, GroupSnapshot>;
}

/** Transitive expansion stops here: a job reaching more nested groups than this is almost certainly a mistake. */
export const MAX_GROUPS_PER_JOB = 500;

export function propertiesFor(job: Pick<SyncJob, 'memberTypes' | 'userType' | 'includeDisabled'>): MemberProperty[] {
  const props: MemberProperty[] = [];
  if (job.memberTypes.includes('user') && job.userType !== 'any') props.push('userType');
  if (!job.includeDisabled && job.memberTypes.some((t) => t !== 'group')) props.push('accountEnabled');
  return props;
}

const covers = (have: readonly MemberProperty[], need: readonly MemberProperty[]) => need.every((p) => have.includes(p));

export async function loadMembership(deps: MembershipDeps, job: SyncJob): Promise<LoadedMembership> {
  const sourceProps = propertiesFor(job);
  const wanted = new Map<string, { props: Set<MemberProperty>; includeGroup: boolean }>();
  const want = (id: string, props: readonly MemberProperty[], includeGroup: boolean) => {
    const entry = wanted.get(id) ?? { props: new Set<MemberProperty>(), includeGroup: false };
    for (const p of props) entry.props.add(p);
    entry.includeGroup ||= includeGroup;
    wanted.set(id, entry);
  };
  want(job.target, [], true);
  for (const s of job.sources) want(s.group, sourceProps, true);
  for (const e of job.exclude) want(e.group, [], true);

  const out: LoadedMembership = {
    groups: new Map(),
    info: new Map(),
    reads: new Map(),
    missing: new Set(),
    snapshots: new Map(),
  };
  let pending = [...wanted.keys()];
  while (pending.length > 0) {
    await readRound(deps, job.jobId, pending, wanted, out);
    const next = new Set<string>();
    for (const ref of [...job.sources, ...job.exclude]) {
      if (!ref.transitive || !out.groups.has(ref.group)) continue;
      const isSource = job.sources.some((s) => s.group === ref.group);
      for (const nested of unreadNestedGroups(ref.group, out.groups)) {
        if (out.missing.has(nested)) continue;
        want(nested, isSource ? sourceProps : [], false);
        next.add(nested);
      }
    }
    if (out.groups.size + next.size > MAX_GROUPS_PER_JOB) {
      throw new Error(`The job's transitive sources reach more than ${MAX_GROUPS_PER_JOB} groups`);
    }
    pending = [...next];
  }
  return out;
}

type Wanted = ReadonlyMap<string, { props: Set<MemberProperty>; includeGroup: boolean }>;

/** One round: read the given groups (delta where a fresh snapshot allows), fill in facts, save their snapshots. */
async function readRound(
  deps: MembershipDeps,
  jobId: string,
  ids: readonly string[],
  wanted: Wanted,
  out: LoadedMembership,
): Promise<void> {
  const now = deps.now();
  const { requests, bases } = await planReads(deps, jobId, ids, wanted, now);
  const results = await readAll(deps.reader, requests);
  const needDescribe = new Map<string, Set<string>>();
  for (const result of results) {
    const request = requests.find((r) => r.groupId === result.groupId);
    const merged = mergeResult(result, request?.properties ?? [], bases.get(result.groupId), now);
    if (merged.kind === 'missing') {
      out.missing.add(result.groupId);
      continue;
    }
    if (merged.group) out.info.set(result.groupId, merged.group);
    out.groups.set(result.groupId, merged.members);
    out.reads.set(result.groupId, merged.read);
    out.snapshots.set(result.groupId, merged.snapshot);
    for (const id of merged.describe) needDescribe.set(id, (needDescribe.get(id) ?? new Set()).add(result.groupId));
  }
  await describeAdded(deps.reader, needDescribe, requests, out.groups);
  await saveSnapshots(deps, jobId, ids, out);
}

/** A fresh snapshot a delta round starts from: its members by id, built once and handed over to the merge. */
export interface DeltaBase {
  readonly snapshot: Omit<GroupSnapshot, 'members'>;
  readonly members: Map<string, MemberFacts>;
}

/**
 * One request per group; a delta round from the stored snapshot when it is fresh and holds the properties needed.
 * Snapshots loaded later share the member id strings of those loaded before (a target and its source hold the same
 * ids), and a group read without properties skips the adds it already holds: what keeps a 200,000-member re-run small.
 */
export async function planReads(
  deps: Pick<MembershipDeps, 'snapshots' | 'fullRefreshMs'>,
  jobId: string,
  ids: readonly string[],
  wanted: Wanted,
  now: Date,
): Promise<{ requests: GroupReadRequest[]; bases: Map<string, DeltaBase> }> {
  const bases = new Map<string, DeltaBase>();
  const requests: GroupReadRequest[] = [];
  const intern = (id: string) => {
    for (const base of bases.values()) {
      const held = base.members.get(id);
      if (held) return held.id;
    }
    return id;
  };
  for (const id of ids) {
    const w = wanted.get(id);
    const props = [...(w?.props ?? [])].sort();
    const snapshot = await deps.snapshots.loadSnapshot(jobId, id, intern);
    const fresh =
      snapshot?.deltaLink !== undefined &&
      covers(snapshot.properties, props) &&
      now.getTime() - Date.parse(snapshot.fullReadAt) < deps.fullRefreshMs;
    const base = snapshot && fresh ? deltaBase(snapshot) : undefined;
    if (base) bases.set(id, base);
    requests.push({
      groupId: id,
      properties: props,
      includeGroup: w?.includeGroup ?? false,
      ...(base?.snapshot.deltaLink ? { deltaLink: base.snapshot.deltaLink } : {}),
      ...(base && props.length === 0 ? { alreadyHeld: (member: string) => base.members.has(member) } : {}),
    });
  }
  return { requests, bases };
}

/** A snapshot as a delta round's base: its members indexed by id once. */
export function deltaBase({ members, ...snapshot }: GroupSnapshot): DeltaBase {
  const byId = new Map<string, MemberFacts>();
  for (const m of members) byId.set(m.id, m);
  return { snapshot, members: byId };
}

/** Reads every request; groups whose delta link expired are read again in full. */
async function readAll(reader: MembershipReader, requests: readonly GroupReadRequest[]): Promise<GroupReadResult[]> {
  const results = await reader.read(requests);
  const expired = results.filter((r) => r.status === 'deltaExpired').map((r) => r.groupId);
  if (expired.length === 0) return results;
  const retry = requests.filter((r) => expired.includes(r.groupId)).map(({ deltaLink: _drop, ...rest }) => rest);
  return [...results.filter((r) => r.status !== 'deltaExpired'), ...(await reader.read(retry))];
}

export type MergedRead =
  | { readonly kind: 'missing' }
  | {
      readonly kind: 'read';
      readonly read: 'full' | 'delta';
      readonly members: Map<string, MemberFacts>;
      /** The snapshot to store; its members are filled in once the round's facts are complete. */
      readonly snapshot: GroupSnapshot;
      readonly group?: GroupInfo;
      /** Members a delta round added whose properties the job needs (delta carries only type and id). */
      readonly describe: readonly string[];
    };

/** One group's members from a full read, or from its snapshot plus a delta round (the base's map is taken over). */
export function mergeResult(
  result: GroupReadResult,
  props: readonly MemberProperty[],
  base: DeltaBase | undefined,
  now: Date,
): MergedRead {
  if (result.status === 'notFound' || result.status === 'deltaExpired') return { kind: 'missing' };
  const group = result.group ? { group: result.group } : {};
  if (result.status === 'full') {
    const snapshot: GroupSnapshot = {
      groupId: result.groupId,
      fullReadAt: now.toISOString(),
      properties: props,
      members: result.members,
      ...(result.deltaLink ? { deltaLink: result.deltaLink } : {}),
    };
    const members = new Map(result.members.map((m) => [m.id, m]));
    return { kind: 'read', read: 'full', members, snapshot, describe: [], ...group };
  }
  const members = base?.members ?? new Map<string, MemberFacts>();
  for (const id of result.removed) members.delete(id);
  for (const m of result.added) members.set(m.id, m);
  const describe = props.length > 0 ? result.added.filter((m) => m.type !== 'group' && m.type !== 'other').map((m) => m.id) : [];
  const snapshot: GroupSnapshot = {
    groupId: result.groupId,
    fullReadAt: base?.snapshot.fullReadAt ?? now.toISOString(),
    properties: props,
    members: [],
    deltaLink: result.deltaLink,
  };
  return { kind: 'read', read: 'delta', members, snapshot, describe, ...group };
}

/** Fetches the properties of members a delta round added, into every group that reported them. */
async function describeAdded(
  reader: MembershipReader,
  needDescribe: ReadonlyMap<string, ReadonlySet<string>>,
  requests: readonly GroupReadRequest[],
  groups: LoadedMembership['groups'],
): Promise<void> {
  if (needDescribe.size === 0) return;
  const props = [...new Set(requests.flatMap((r) => r.properties))].sort();
  const facts = await reader.describe([...needDescribe.keys()], props);
  for (const fact of facts) {
    for (const groupId of needDescribe.get(fact.id) ?? []) groups.get(groupId)?.set(fact.id, fact);
  }
}

/** Completes each group's snapshot with its members and saves it, fenced by the run's lease. */
async function saveSnapshots(deps: MembershipDeps, jobId: string, ids: readonly string[], out: LoadedMembership): Promise<void> {
  for (const id of ids) {
    const snapshot = out.snapshots.get(id);
    const members = out.groups.get(id);
    if (!snapshot || !members) continue;
    const complete = { ...snapshot, members: [...members.values()] };
    out.snapshots.set(id, complete);
    await deps.fence?.();
    await deps.snapshots.saveSnapshot(jobId, complete);
  }
}
