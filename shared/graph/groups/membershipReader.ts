/**
 * Member reads: a first read pages the members after taking a "sync from now" delta token; later reads are delta
 * rounds; members a delta round added get their filter properties from `directoryObjects/getByIds`.
 */

import type { Group } from '@microsoft/microsoft-graph-types';

import type { GroupReadRequest, GroupReadResult, MemberFacts, MembershipReader } from '../../sync/ports';
import { type BatchItem, type BatchItemResult, graphPath } from '../types';
import {
  batchItems,
  GROUP_SELECT,
  type GroupsContext,
  type MemberJson,
  odataString,
  ok,
  type PageJson,
  selectFor,
  toFacts,
  toGroupInfo,
} from './context';

const GETBYIDS_MAX = 1000;

type DeltaGroupJson = { readonly id?: string; readonly '@removed'?: unknown; readonly 'members@delta'?: MemberJson[] };
type Results = ReadonlyMap<string, BatchItemResult>;

/**
 * A delta round Graph refuses with a 4xx is a token it no longer honours: 410 Gone is documented, but directory delta
 * also answers 400 (`syncStateNotFound`, "Request_BadRequest"), so any 4xx but auth and throttling falls back to a
 * full read, which then finds out whether the group still exists.
 */
const isExpiredDelta = (r: BatchItemResult) => r.status >= 400 && r.status < 500 && ![401, 403, 429].includes(r.status);

export function createMembershipReader(ctx: GroupsContext): MembershipReader {
  return {
    read: async (requests) => {
      const results = await readRounds(ctx, requests);
      return Promise.all(requests.map((r) => (r.deltaLink ? readDelta(ctx, r, results) : readFull(ctx, r, results))));
    },
    describe: (ids, properties) => describeMembers(ctx, ids, properties),
  };
}

/**
 * Two fully parallel `$batch` rounds: every group object, delta token or delta round first; then, once every token
 * exists, the first member page of each group read in full.
 */
async function readRounds(ctx: GroupsContext, requests: readonly GroupReadRequest[]): Promise<Results> {
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
  const results = new Map((await ctx.graph.batch(items)).map((res, i) => [items[i]?.id as string, res]));
  // Second round, after every token exists: the first member page of each group read in full.
  const pages: BatchItem[] = requests
    .filter((r) => !r.deltaLink && results.get(`g:${r.groupId}`)?.status !== 404)
    .map((r) => ({
      id: `m:${r.groupId}`,
      method: 'GET',
      path: `${graphPath`/groups/${r.groupId}/members`}?$top=999&$select=${selectFor(r.properties)}`,
    }));
  if (pages.length > 0) (await ctx.graph.batch(pages)).forEach((res, i) => results.set(pages[i]?.id as string, res));
  return results;
}

/** The group object carries the target-safety flags: a run must not go on without it. */
function failIfUnread(r: GroupReadRequest, group: BatchItemResult | undefined): void {
  if (r.includeGroup && (!group || !ok(group.status))) {
    throw new Error(`Reading group ${r.groupId} failed: ${group?.status ?? 'no response'} ${group?.error?.code ?? ''}`.trim());
  }
}

/** The first page's items and every further page's, with the delta link of the last page that had one. */
/**
 * Hands each item of the first page and of every next page to `visit` as the page arrives, so a 200k-member group is
 * never held as raw Graph JSON: only what `visit` keeps of it. Returns the round's delta link, if any.
 */
async function eachItem<T>(
  ctx: GroupsContext,
  first: PageJson<T> | undefined,
  visit: (item: T) => void,
): Promise<string | undefined> {
  for (const item of first?.value ?? []) visit(item);
  let deltaLink = first?.['@odata.deltaLink'];
  const next = first?.['@odata.nextLink'];
  if (next) {
    for await (const page of ctx.graph.pages<T>({ method: 'GET', path: next })) {
      for (const item of page.value) visit(item);
      if (page.deltaLink) deltaLink = page.deltaLink;
    }
  }
  return deltaLink;
}

async function readFull(ctx: GroupsContext, r: GroupReadRequest, results: Results): Promise<GroupReadResult> {
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
  await eachItem(ctx, members.body as PageJson<MemberJson>, (m) => facts.push(toFacts(m, r.properties)));
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

async function readDelta(ctx: GroupsContext, r: GroupReadRequest, results: Results): Promise<GroupReadResult> {
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
  const deltaLink = await eachItem(ctx, round.body as PageJson<DeltaGroupJson>, (entry) => {
    if (entry.id !== undefined && entry.id !== r.groupId) return;
    if (entry['@removed'] !== undefined) groupRemoved = true;
    for (const m of entry['members@delta'] ?? []) {
      const id = String(m.id);
      if (m['@removed'] !== undefined) changes.set(id, 'removed');
      else if (r.alreadyHeld?.(id)) changes.delete(id);
      else changes.set(id, toFacts(m, []));
    }
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

async function describeMembers(
  ctx: GroupsContext,
  ids: readonly string[],
  properties: Parameters<MembershipReader['describe']>[1],
): Promise<MemberFacts[]> {
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
  for (const res of items.length === 1 ? [await single(ctx, items[0] as BatchItem)] : await batchItems(ctx.graph, items)) {
    if (!ok(res.status)) throw new Error(`getByIds failed: ${res.status} ${res.error?.code ?? ''}`);
    for (const m of (res.body as PageJson<MemberJson>).value ?? []) out.push(toFacts(m, properties));
  }
  return out;
}

/** One getByIds call on its own (a `$batch` around a single request would only add a sub-request). */
async function single(ctx: GroupsContext, item: BatchItem): Promise<BatchItemResult> {
  const res = await ctx.graph.send({
    method: item.method,
    path: item.path,
    body: item.body,
    ...(item.idempotent === undefined ? {} : { idempotent: item.idempotent }),
  });
  return { id: '1', status: res.status, headers: res.headers, body: res.body };
}
