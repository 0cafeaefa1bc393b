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
  GroupSnapshot,
  MemberFacts,
  MemberProperty,
  MembershipReader,
  SyncStateStore,
} from './ports';

export interface MembershipDeps {
  readonly reader: MembershipReader;
  readonly state: SyncStateStore;
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
  /**
   * Where each group's next delta round starts. Saved with their members already; held here without them (`members`
   * empty; `groups` has them) so a run keeps one copy of a large group, not two.
   */
  readonly snapshots: Map<string, GroupSnapshot>;
}

/** Members by id, built without an intermediate array of pairs (a 200k-member group would allocate it in full). */
function byId(members: readonly MemberFacts[]): Map<string, MemberFacts> {
  const map = new Map<string, MemberFacts>();
  for (const m of members) map.set(m.id, m);
  return map;
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

async function readRound(
  deps: MembershipDeps,
  jobId: string,
  ids: readonly string[],
  wanted: ReadonlyMap<string, { props: Set<MemberProperty>; includeGroup: boolean }>,
  out: LoadedMembership,
): Promise<void> {
  const now = deps.now();
  const snapshots = new Map<string, GroupSnapshot>();
  const requests: GroupReadRequest[] = [];
  for (const id of ids) {
    const w = wanted.get(id);
    const props = [...(w?.props ?? [])].sort();
    const snapshot = await deps.state.loadSnapshot(jobId, id);
    const fresh =
      snapshot?.deltaLink !== undefined &&
      covers(snapshot.properties, props) &&
      now.getTime() - Date.parse(snapshot.fullReadAt) < deps.fullRefreshMs;
    if (snapshot && fresh) snapshots.set(id, snapshot);
    requests.push({
      groupId: id,
      properties: props,
      includeGroup: w?.includeGroup ?? false,
      ...(snapshot && fresh && snapshot.deltaLink ? { deltaLink: snapshot.deltaLink } : {}),
    });
  }

  let results = await deps.reader.read(requests);
  const expired = results.filter((r) => r.status === 'deltaExpired').map((r) => r.groupId);
  if (expired.length > 0) {
    const retry = requests.filter((r) => expired.includes(r.groupId)).map(({ deltaLink: _drop, ...rest }) => rest);
    results = [...results.filter((r) => r.status !== 'deltaExpired'), ...(await deps.reader.read(retry))];
  }

  const needDescribe = new Map<string, Set<string>>();
  for (const result of results) {
    const request = requests.find((r) => r.groupId === result.groupId);
    const props = request?.properties ?? [];
    if (result.status === 'notFound' || result.status === 'deltaExpired') {
      out.missing.add(result.groupId);
      continue;
    }
    if (result.group) out.info.set(result.groupId, result.group);
    if (result.status === 'full') {
      out.groups.set(result.groupId, byId(result.members));
      out.reads.set(result.groupId, 'full');
      out.snapshots.set(result.groupId, {
        groupId: result.groupId,
        fullReadAt: now.toISOString(),
        properties: props,
        members: [],
        ...(result.deltaLink ? { deltaLink: result.deltaLink } : {}),
      });
      continue;
    }
    const base = snapshots.get(result.groupId);
    const members = byId(base?.members ?? []);
    for (const id of result.removed) members.delete(id);
    for (const m of result.added) {
      members.set(m.id, m);
      if (props.length > 0 && m.type !== 'group' && m.type !== 'other') {
        const set = needDescribe.get(m.id) ?? new Set<string>();
        set.add(result.groupId);
        needDescribe.set(m.id, set);
      }
    }
    out.groups.set(result.groupId, members);
    out.reads.set(result.groupId, 'delta');
    out.snapshots.set(result.groupId, {
      groupId: result.groupId,
      fullReadAt: base?.fullReadAt ?? now.toISOString(),
      properties: props,
      members: [],
      deltaLink: result.deltaLink,
    });
  }

  if (needDescribe.size > 0) {
    const props = [...new Set(requests.flatMap((r) => r.properties))].sort();
    const facts = await deps.reader.describe([...needDescribe.keys()], props);
    for (const fact of facts) {
      for (const groupId of needDescribe.get(fact.id) ?? []) out.groups.get(groupId)?.set(fact.id, fact);
    }
  }

  for (const id of ids) {
    const snapshot = out.snapshots.get(id);
    const members = out.groups.get(id);
    if (!snapshot || !members) continue;
    await deps.fence?.();
    await deps.state.saveSnapshot(jobId, { ...snapshot, members: [...members.values()] });
  }
}
