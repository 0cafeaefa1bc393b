import type { DirectoryObject, Group } from '@microsoft/microsoft-graph-types';

import type { MemberType, SyncRun } from '../sync/jobModel';
import type {
  GroupCandidate,
  GroupDirectory,
  GroupInfo,
  GroupReadRequest,
  GroupReadResult,
  MemberFacts,
  MemberProperty,
  MembershipReader,
  MembershipWriter,
  WriteOutcome,
} from '../sync/ports';
import { type BatchItem, type BatchItemResult, type Graph, graphPath } from './types';
import { directoryObjectUrl } from './urls';

/**
 * Group sync's Graph adapter: group lookups, member reads (full and delta) and membership writes, at the request lower
 * bound (`ceil(S/999)` member pages to read, `ceil(N/400)` `$batch` calls to add N members; docs/benchmarks.md):
 * - A full read pages `GET /groups/{id}/members?$top=999&$select=id[,userType,accountEnabled]`. The filter properties
 *   ride on the member read itself ($select costs nothing extra), which beats a getByIds round afterwards.
 * - A first read takes two fully parallel `$batch` rounds: every group object with a "sync from now" delta link
 *   (`groups/delta?$filter=id eq '{id}'&$select=members&$deltatoken=latest`, delta-query-overview.md), then every
 *   group's first member page, so later runs need no extra full read to start delta. The member read comes after the
 *   token, so no change can fall between the two (a change after the token is replayed by the next delta round). One
 *   batch with `dependsOn` per group would save a call, but Graph refuses batches that mix dependent and independent
 *   items ("Batch should be either fully sequential or fully parallel", json-batching.md).
 * - Delta rounds only carry `@odata.type` and `id` of changed members (group-delta.md), so added members' filter
 *   properties come from `directoryObjects/getByIds` (1,000 ids per request): O(changes), instead of a full re-read.
 * - Adds: `PATCH /groups/{id}` with 20 `members@odata.bind` each (group-post-members.md), 20 PATCHes per `$batch`
 *   = 400 members per HTTP call. A bind PATCH is all-or-nothing: when one of its 20 is already a member (400) or not
 *   visible yet (404), only that chunk falls back to per-member `POST members/$ref`, where "already a member" is
 *   success and 404/400 on fresh objects (eventual consistency) is retried after a delay.
 * - Removes: `DELETE /groups/{id}/members/{id}/$ref`, 20 per `$batch`; "not a member" (404, or 400 "One or more
 *   removed object references do not exist" when the object exists) is success.
 */
export interface GroupsAdapterOptions {
  /** Graph root for `members@odata.bind` URLs (config.graph.baseUrl: public cloud, a national cloud or the sandbox). */
  readonly baseUrl: string;
  /** Waits before re-trying adds that failed because a fresh object was not visible yet. */
  readonly consistencyDelaysMs?: readonly number[];
  readonly sleep?: (ms: number) => Promise<void>;
}

export const BIND_CHUNK = 20;
const GETBYIDS_MAX = 1000;
const GROUP_SELECT =
  'id,displayName,groupTypes,mailEnabled,securityEnabled,onPremisesSyncEnabled,isAssignableToRole,membershipRule';
const ALREADY_MEMBER = /already exist/i;
const NOT_A_MEMBER = /removed object references do not exist/i;

type MemberJson = DirectoryObject & {
  readonly '@odata.type'?: string;
  readonly userType?: string | null;
  readonly accountEnabled?: boolean | null;
  readonly '@removed'?: unknown;
};
type DeltaGroupJson = { readonly id?: string; readonly '@removed'?: unknown; readonly 'members@delta'?: MemberJson[] };
type PageJson<T> = { readonly value?: T[]; readonly '@odata.nextLink'?: string; readonly '@odata.deltaLink'?: string };

const TYPES: Record<string, MemberType> = {
  '#microsoft.graph.user': 'user',
  '#microsoft.graph.group': 'group',
  '#microsoft.graph.device': 'device',
  '#microsoft.graph.serviceprincipal': 'servicePrincipal',
};

function toFacts(m: MemberJson, properties: readonly MemberProperty[]): MemberFacts {
  const type = TYPES[(m['@odata.type'] ?? '').toLowerCase()] ?? 'other';
  const facts: { -readonly [K in keyof MemberFacts]: MemberFacts[K] } = { id: String(m.id), type };
  if (properties.includes('userType') && type === 'user') facts.userType = m.userType ?? null;
  if (properties.includes('accountEnabled') && type !== 'group') facts.accountEnabled = m.accountEnabled ?? null;
  return facts;
}

function toGroupInfo(g: Group): GroupInfo {
  return {
    id: String(g.id),
    displayName: g.displayName ?? '',
    groupTypes: g.groupTypes ?? [],
    mailEnabled: g.mailEnabled === true,
    securityEnabled: g.securityEnabled === true,
    onPremisesSyncEnabled: g.onPremisesSyncEnabled ?? null,
    isAssignableToRole: g.isAssignableToRole ?? null,
    membershipRule: g.membershipRule ?? null,
  };
}

function groupKind(g: GroupInfo): string {
  const base = g.groupTypes.includes('Unified')
    ? 'microsoft365'
    : g.mailEnabled
      ? g.securityEnabled
        ? 'mailEnabledSecurity'
        : 'distribution'
      : 'security';
  return g.groupTypes.includes('DynamicMembership') ? `${base} (dynamic)` : base;
}

const odataString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ok = (status: number) => status >= 200 && status < 300;
const selectFor = (props: readonly MemberProperty[]) => ['id', ...props].join(',');
/**
 * A delta round Graph refuses with a 4xx is a token it no longer honours: 410 Gone is documented, but directory delta
 * also answers 400 (`syncStateNotFound`, "Request_BadRequest"), so any 4xx but auth and throttling falls back to a
 * full read, which then finds out whether the group still exists.
 */
const isExpiredDelta = (r: BatchItemResult) => r.status >= 400 && r.status < 500 && ![401, 403, 429].includes(r.status);

export type GroupsAdapter = GroupDirectory & MembershipReader & MembershipWriter;

export function createGroupsAdapter(graph: Graph, options: GroupsAdapterOptions): GroupsAdapter {
  const bindUrl = (id: string) => directoryObjectUrl(options.baseUrl, id);
  const delays = options.consistencyDelaysMs ?? [2000, 5000, 10_000];
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  /**
   * Hands each item of the first page and of every next page to `visit` as the page arrives, so a 200k-member group
   * is never held as raw Graph JSON: only what `visit` keeps of it. Returns the round's delta link, if any.
   */
  async function eachItem<T>(first: PageJson<T> | undefined, visit: (item: T) => void): Promise<string | undefined> {
    for (const item of first?.value ?? []) visit(item);
    let deltaLink = first?.['@odata.deltaLink'];
    const next = first?.['@odata.nextLink'];
    if (next) {
      for await (const page of graph.pages<T>({ method: 'GET', path: next })) {
        for (const item of page.value) visit(item);
        if (page.deltaLink) deltaLink = page.deltaLink;
      }
    }
    return deltaLink;
  }

  /** The group object carries the target-safety flags: a run must not go on without it. */
  function failIfUnread(r: GroupReadRequest, group: BatchItemResult | undefined): void {
    if (r.includeGroup && (!group || !ok(group.status))) {
      throw new Error(`Reading group ${r.groupId} failed: ${group?.status ?? 'no response'} ${group?.error?.code ?? ''}`.trim());
    }
  }

  async function readFull(r: GroupReadRequest, results: Map<string, BatchItemResult>): Promise<GroupReadResult> {
    const members = results.get(`m:${r.groupId}`);
    const group = results.get(`g:${r.groupId}`);
    if (members?.status === 404 || group?.status === 404) return { groupId: r.groupId, status: 'notFound' };
    failIfUnread(r, group);
    if (!members || !ok(members.status)) {
      throw new Error(
        `Reading the members of group ${r.groupId} failed: ${members?.status ?? 'no response'} ${members?.error?.code ?? ''}`.trim(),
      );
    }
    const facts: MemberFacts[] = [];
    await eachItem(members.body as PageJson<MemberJson>, (m) => facts.push(toFacts(m, r.properties)));
    const token = results.get(`t:${r.groupId}`);
    const deltaLink = token && ok(token.status) ? (token.body as PageJson<unknown>)['@odata.deltaLink'] : undefined;
    return {
      groupId: r.groupId,
      status: 'full',
      members: facts,
      ...(deltaLink ? { deltaLink } : {}),
      ...(group && ok(group.status) ? { group: toGroupInfo(group.body as Group) } : {}),
    };
  }

  async function readDelta(r: GroupReadRequest, results: Map<string, BatchItemResult>): Promise<GroupReadResult> {
    const round = results.get(`d:${r.groupId}`);
    const group = results.get(`g:${r.groupId}`);
    if (group?.status === 404) return { groupId: r.groupId, status: 'notFound' };
    failIfUnread(r, group);
    if (!round || !ok(round.status)) {
      if (round && isExpiredDelta(round)) return { groupId: r.groupId, status: 'deltaExpired' };
      throw new Error(`Delta round for group ${r.groupId} failed: ${round?.status ?? 'no response'} ${round?.error?.code ?? ''}`);
    }
    // A large group may come on several pages, each with a slice of members@delta; merge, last state wins.
    const changes = new Map<string, MemberFacts | 'removed'>();
    let groupRemoved = false;
    const deltaLink = await eachItem(round.body as PageJson<DeltaGroupJson>, (entry) => {
      if (entry.id !== undefined && entry.id !== r.groupId) return;
      if (entry['@removed'] !== undefined) groupRemoved = true;
      for (const m of entry['members@delta'] ?? [])
        changes.set(String(m.id), m['@removed'] !== undefined ? 'removed' : toFacts(m, []));
    });
    if (groupRemoved) return { groupId: r.groupId, status: 'notFound' };
    if (!deltaLink) throw new Error(`Delta round for group ${r.groupId} ended without an @odata.deltaLink`);
    const added: MemberFacts[] = [];
    const removed: string[] = [];
    for (const [id, change] of changes) {
      if (change === 'removed') removed.push(id);
      else added.push(change);
    }
    return {
      groupId: r.groupId,
      status: 'delta',
      added,
      removed,
      deltaLink,
      ...(group && ok(group.status) ? { group: toGroupInfo(group.body as Group) } : {}),
    };
  }

  async function writeItems(items: readonly BatchItem[]): Promise<BatchItemResult[]> {
    return items.length === 0 ? [] : graph.batch(items);
  }

  /** Per-member `$ref` adds with eventual-consistency retries; used only for chunks whose bind PATCH failed. */
  async function addOneByOne(groupId: string, ids: readonly string[]): Promise<WriteOutcome[]> {
    const outcomes = new Map<string, WriteOutcome>();
    let pending = [...ids];
    for (let attempt = 0; pending.length > 0; attempt++) {
      const results = await writeItems(
        pending.map((id) => ({
          method: 'POST',
          path: graphPath`/groups/${groupId}/members/$ref`,
          body: { '@odata.id': bindUrl(id) },
          // A repeat after a lost response answers "already a member", counted as success below.
          idempotent: true,
        })),
      );
      const retry: string[] = [];
      results.forEach((res, i) => {
        const id = pending[i] as string;
        const message = res.error?.message ?? '';
        if (ok(res.status)) outcomes.set(id, { id, ok: true, noop: false });
        else if (res.status === 400 && ALREADY_MEMBER.test(message)) outcomes.set(id, { id, ok: true, noop: true });
        else {
          outcomes.set(id, {
            id,
            ok: false,
            code: res.error?.code ?? `HTTP_${res.status}`,
            message: message || `HTTP ${res.status}`,
          });
          if ((res.status === 404 || res.status === 400) && attempt < delays.length) retry.push(id);
        }
      });
      if (retry.length > 0) await sleep(delays[attempt] ?? 0);
      pending = retry;
    }
    return ids.map((id) => outcomes.get(id) as WriteOutcome);
  }

  return {
    async getGroup(id) {
      const res = await graph.send<Group>(
        { method: 'GET', path: graphPath`/groups/${id}`, query: { $select: GROUP_SELECT } },
        [400, 404],
      );
      return ok(res.status) && res.body ? toGroupInfo(res.body) : undefined;
    },

    async findByDisplayName(name) {
      const groups = (
        await graph.all<Group>({
          method: 'GET',
          path: '/groups',
          query: { $filter: `displayName eq ${odataString(name)}`, $select: GROUP_SELECT, $top: '999' },
        })
      ).map(toGroupInfo);
      // Member counts help a caller pick among namesakes; one $batch of `$count` reads, only when there are several.
      const counts =
        groups.length > 1
          ? await graph.batch<unknown>(
              groups.map((g) => ({
                method: 'GET',
                path: graphPath`/groups/${g.id}/members/$count`,
                headers: { ConsistencyLevel: 'eventual' },
              })),
            )
          : [];
      return groups.map((g, i): GroupCandidate => {
        const count = Number(counts[i]?.body);
        return {
          id: g.id,
          displayName: g.displayName,
          type: groupKind(g),
          ...(Number.isFinite(count) && counts[i] && ok(counts[i].status) ? { memberCount: count } : {}),
        };
      });
    },

    async listDynamicGroups() {
      const groups = await graph.all<Group>({
        method: 'GET',
        path: '/groups',
        query: { $filter: "groupTypes/any(c:c eq 'DynamicMembership')", $select: GROUP_SELECT, $top: '999' },
      });
      return groups.map(toGroupInfo);
    },

    async read(requests) {
      const items: BatchItem[] = [];
      for (const r of requests) {
        if (r.includeGroup)
          items.push({ id: `g:${r.groupId}`, method: 'GET', path: `${graphPath`/groups/${r.groupId}`}?$select=${GROUP_SELECT}` });
        if (r.deltaLink) {
          items.push({ id: `d:${r.groupId}`, method: 'GET', path: r.deltaLink });
          continue;
        }
        const filter = encodeURIComponent(`id eq ${odataString(r.groupId)}`);
        items.push({
          id: `t:${r.groupId}`,
          method: 'GET',
          path: `/groups/delta?$filter=${filter}&$select=members&$deltatoken=latest`,
        });
      }
      const results = new Map((await graph.batch(items)).map((res, i) => [items[i]?.id as string, res]));
      // Second round, after every token exists: the first member page of each group read in full.
      const pages: BatchItem[] = requests
        .filter((r) => !r.deltaLink && results.get(`g:${r.groupId}`)?.status !== 404)
        .map((r) => ({
          id: `m:${r.groupId}`,
          method: 'GET',
          path: `${graphPath`/groups/${r.groupId}/members`}?$top=999&$select=${selectFor(r.properties)}`,
        }));
      if (pages.length > 0) (await graph.batch(pages)).forEach((res, i) => results.set(pages[i]?.id as string, res));
      return Promise.all(requests.map((r) => (r.deltaLink ? readDelta(r, results) : readFull(r, results))));
    },

    async describe(ids, properties) {
      const items: BatchItem[] = [];
      for (let i = 0; i < ids.length; i += GETBYIDS_MAX) {
        items.push({
          method: 'POST',
          path: `/directoryObjects/getByIds?$select=${selectFor(properties)}`,
          body: { ids: ids.slice(i, i + GETBYIDS_MAX) },
          idempotent: true,
        });
      }
      const out: MemberFacts[] = [];
      for (const res of items.length === 1 ? [await single(items[0] as BatchItem)] : await writeItems(items)) {
        if (!ok(res.status)) throw new Error(`getByIds failed: ${res.status} ${res.error?.code ?? ''}`);
        for (const m of (res.body as PageJson<MemberJson>).value ?? []) out.push(toFacts(m, properties));
      }
      return out;
    },

    async add(groupId, memberIds) {
      const chunks: string[][] = [];
      for (let i = 0; i < memberIds.length; i += BIND_CHUNK) chunks.push(memberIds.slice(i, i + BIND_CHUNK));
      const results = await writeItems(
        chunks.map((chunk) => ({
          method: 'PATCH',
          path: graphPath`/groups/${groupId}`,
          body: { 'members@odata.bind': chunk.map(bindUrl) },
        })),
      );
      const outcomes = new Map<string, WriteOutcome>();
      const fallback: string[] = [];
      results.forEach((res, i) => {
        for (const id of chunks[i] ?? []) {
          if (ok(res.status)) outcomes.set(id, { id, ok: true, noop: false });
          else fallback.push(id);
        }
      });
      for (const outcome of await addOneByOne(groupId, fallback)) outcomes.set(outcome.id, outcome);
      return memberIds.map((id) => outcomes.get(id) as WriteOutcome);
    },

    async remove(groupId, memberIds) {
      const results = await writeItems(
        memberIds.map((id) => ({ method: 'DELETE', path: graphPath`/groups/${groupId}/members/${id}/$ref` })),
      );
      return results.map((res, i): WriteOutcome => {
        const id = memberIds[i] as string;
        if (ok(res.status)) return { id, ok: true, noop: false };
        // Not a member: 404, or (for an object that exists) 400 "One or more removed object references do not exist".
        if (res.status === 404 || (res.status === 400 && NOT_A_MEMBER.test(res.error?.message ?? '')))
          return { id, ok: true, noop: true };
        return {
          id,
          ok: false,
          code: res.error?.code ?? `HTTP_${res.status}`,
          message: res.error?.message ?? `HTTP ${res.status}`,
        };
      });
    },

    counters(): SyncRun['graphRequests'] {
      return { ...graph.counters };
    },
  };

  /** One getByIds call on its own (a `$batch` around a single request would only add a sub-request). */
  async function single(item: BatchItem): Promise<BatchItemResult> {
    const res = await graph.send({
      method: item.method,
      path: item.path,
      body: item.body,
      ...(item.idempotent === undefined ? {} : { idempotent: item.idempotent }),
    });
    return { id: '1', status: res.status, headers: res.headers, body: res.body };
  }
}
