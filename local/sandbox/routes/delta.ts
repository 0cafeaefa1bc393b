/**
 * GET /groups/delta (group-delta.md, concepts/delta-query-groups.md). The first round returns the (filtered) groups
 * with `members@delta` listing current members; big member lists are split over pages, so one group can appear on
 * several pages with different slices. Later rounds replay the change log since the token: changed groups, added
 * members, removed members (`@removed: {reason: "deleted"}`) and deleted groups (`@removed: {reason: "changed"}`).
 * Tokens are opaque base64url state; unknown/expired ones answer 410 Gone (resync required).
 */
import type { SandboxEnv } from '../env';
import { badRequest, GraphError, unsupportedQuery } from '../errors';
import { type FilterNode } from '../odata/filter';
import { linkWith } from '../odata/paging';
import { param, parseFilterClause, project } from '../odata/query';
import type { RouteDef } from '../router';
import { ODATA_TYPE } from '../state';
import type { GraphCall, Json } from '../types';
import { collection } from './common';

/** group-delta.md: `$filter` on ids is limited to 50 ids. */
const MAX_FILTER_IDS = 50;
const MAX_OBJECTS_PER_PAGE = 100;
const MAX_MEMBER_REFS_PER_PAGE = 1000;

interface DeltaQuery {
  /** Selected group properties (without `members`); null = all properties. */
  readonly sel: string[] | null;
  readonly members: boolean;
  readonly ids: string[] | null;
}

interface DeltaState {
  readonly v: 1;
  /** Tenant epoch: tokens from before a tenant replace/reset are unknown. */
  readonly e: string;
  /** Change-log sequence the token covers up to. */
  readonly s: number;
  /** Issue time (ms), for the documented 7-day token lifetime of directory objects. */
  readonly t: number;
  readonly q: DeltaQuery;
}

/** delta-query-overview.md "Token duration": seven days for directory objects (scaled by timeScale). */
const TOKEN_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

interface RoundEntry {
  readonly id: string;
  readonly deleted: boolean;
  readonly obj?: Json;
  readonly added: readonly string[];
  /** [memberId, @odata.type] */
  readonly removed: readonly (readonly [string, string])[];
}

interface Round {
  readonly entries: readonly RoundEntry[];
  readonly endSeq: number;
  readonly q: DeltaQuery;
}

const encode = (state: DeltaState): string => Buffer.from(JSON.stringify(state)).toString('base64url');

/** The initial request of a round (what a client restarts with after 410), rebuilt from the token's query. */
function initialUrl(call: GraphCall, q: DeltaQuery | undefined): string {
  const params = new URLSearchParams();
  if (q) {
    const select = [...(q.sel ?? []), ...(q.members && q.sel ? ['members'] : [])];
    if (select.length > 0) params.set('$select', select.join(','));
    else if (q.members) params.set('$expand', 'members');
    if (q.ids) params.set('$filter', q.ids.map((id) => `id eq '${id}'`).join(' or '));
  }
  const query = params.toString().replace(/%24/g, '$').replace(/%2C/gi, ',');
  return `${call.origin}/v1.0/groups/delta${query ? `?${query}` : ''}`;
}

/**
 * delta-query-overview.md "Synchronization reset": 410 Gone with a Location header holding the initial request. With
 * the `expiredDeltaToken: "400"` knob the same answer comes as 400, as reported for directory delta queries
 * (microsoft-graph-docs-contrib issues #7414 and #7897): clients must not rely on 410 alone.
 */
const resyncRequired = (call: GraphCall, q?: DeltaQuery, status: 400 | 410 = 410): GraphError =>
  new GraphError(
    status,
    'syncStateNotFound',
    'The delta token is unknown or has expired; restart with a full synchronization (see the Location header).',
    {
      Location: initialUrl(call, q),
    },
  );

function decode(env: SandboxEnv, call: GraphCall, token: string): DeltaState {
  const status = env.knobs.expiredDeltaToken === '400' ? 400 : 410;
  let state: unknown;
  try {
    state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw resyncRequired(call, undefined, status);
  }
  const s = state as Partial<DeltaState> | null;
  if (!s || s.v !== 1 || typeof s.s !== 'number' || typeof s.t !== 'number' || typeof s.q !== 'object' || s.q === null)
    throw resyncRequired(call, undefined, status);
  const expired = Date.now() - s.t > env.scaled(TOKEN_LIFETIME_MS);
  if (s.e !== env.state.epoch || expired || s.s < env.state.changes.oldestAnswerable || s.s > env.state.changes.seq)
    throw resyncRequired(call, s.q, status);
  return s as DeltaState;
}

function idsFromFilter(raw: string): string[] {
  const node = parseFilterClause(raw);
  const ids: string[] = [];
  const visit = (n: FilterNode): void => {
    if (n.k === 'or') {
      visit(n.a);
      visit(n.b);
      return;
    }
    if (
      n.k === 'cmp' &&
      n.op === 'eq' &&
      n.l.k === 'path' &&
      n.l.path.length === 1 &&
      n.l.path[0]?.toLowerCase() === 'id' &&
      n.r.k === 'lit' &&
      (n.r.t === 'string' || n.r.t === 'guid')
    ) {
      ids.push(n.r.v);
      return;
    }
    throw unsupportedQuery("Unsupported filter for groups/delta: only \"id eq '<id>'\" clauses joined with 'or' are supported.");
  };
  visit(node);
  if (ids.length > MAX_FILTER_IDS)
    throw unsupportedQuery(`Too many ids in $filter: groups/delta accepts at most ${MAX_FILTER_IDS}.`);
  return ids;
}

function parseQuery(call: GraphCall): DeltaQuery {
  // group-delta.md: without $select the groups come with all properties and members@delta.
  let members = true;
  let sel: string[] | null = null;
  const select = param(call, '$select');
  if (select !== undefined) {
    const props = select
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    members = props.some((p) => p.toLowerCase() === 'members');
    sel = props.filter((p) => p.toLowerCase() !== 'members');
  }
  const expand = param(call, '$expand');
  if (expand !== undefined) {
    if (expand.trim().toLowerCase() !== 'members')
      throw badRequest('Only $expand=members is supported on groups/delta.', 'BadRequest');
    members = true;
  }
  const filter = param(call, '$filter');
  return { sel, members, ids: filter === undefined ? null : idsFromFilter(filter) };
}

function renderObj(obj: Json, q: DeltaQuery): Json {
  return project(obj, q.sel ?? undefined);
}

function initialRound(env: SandboxEnv, q: DeltaQuery): Round {
  const entries: RoundEntry[] = [];
  const push = (id: string): void => {
    const rec = env.state.groups.get(id);
    if (!rec) return;
    entries.push({ id, deleted: false, obj: renderObj(rec.obj, q), added: q.members ? [...rec.members] : [], removed: [] });
  };
  if (q.ids) for (const id of new Set(q.ids)) push(id);
  else for (const id of env.state.groups.keys()) push(id);
  return { entries, endSeq: env.state.changes.seq, q };
}

function changesRound(env: SandboxEnv, from: DeltaState): Round {
  const q = from.q;
  const endSeq = env.state.changes.seq;
  const wanted = q.ids ? new Set(q.ids) : null;
  const touched = new Map<string, { upsert: boolean; deleted: boolean; members: Map<string, [boolean, string]> }>();
  for (const c of env.state.changes.between(from.s, endSeq)) {
    if (wanted && !wanted.has(c.groupId)) continue;
    let t = touched.get(c.groupId);
    if (!t) {
      t = { upsert: false, deleted: false, members: new Map() };
      touched.set(c.groupId, t);
    }
    if (c.op === 'upsert') t.upsert = true;
    else if (c.op === 'delete') t.deleted = true;
    else if (c.memberId !== undefined)
      t.members.set(c.memberId, [c.op === 'add', c.memberType ?? '#microsoft.graph.directoryObject']);
  }
  const entries: RoundEntry[] = [];
  for (const [id, t] of touched) {
    const rec = env.state.groups.get(id);
    if (!rec) {
      if (t.deleted) entries.push({ id, deleted: true, added: [], removed: [] });
      continue;
    }
    const added: string[] = [];
    const removed: [string, string][] = [];
    if (q.members) {
      for (const [memberId, [isAdd, type]] of t.members) {
        if (isAdd && rec.members.has(memberId)) added.push(memberId);
        else if (!isAdd && !rec.members.has(memberId)) removed.push([memberId, type]);
      }
    }
    if (t.upsert || added.length > 0 || removed.length > 0)
      entries.push({ id, deleted: false, obj: renderObj(rec.obj, q), added, removed });
  }
  return { entries, endSeq, q };
}

function memberRef(env: SandboxEnv, id: string): Json {
  const kind = env.state.kindOf(id);
  return { '@odata.type': kind ? ODATA_TYPE[kind] : '#microsoft.graph.directoryObject', id };
}

function renderPage(
  env: SandboxEnv,
  call: GraphCall,
  round: Round,
  roundId: string | undefined,
  entryIndex: number,
  refOffset: number,
) {
  const value: Json[] = [];
  let refBudget = MAX_MEMBER_REFS_PER_PAGE;
  let i = entryIndex;
  let offset = refOffset;
  while (i < round.entries.length && value.length < MAX_OBJECTS_PER_PAGE && refBudget > 0) {
    const entry = round.entries[i];
    if (!entry) break;
    if (entry.deleted) {
      value.push({ id: entry.id, '@removed': { reason: 'changed' } });
      i++;
      continue;
    }
    const total = entry.added.length + entry.removed.length;
    const take = Math.min(refBudget, total - offset);
    const obj: Json = { ...(entry.obj ?? { id: entry.id }) };
    if (total > 0) {
      const refs: Json[] = [];
      for (let k = offset; k < offset + take; k++) {
        if (k < entry.added.length) refs.push(memberRef(env, entry.added[k] ?? ''));
        else {
          const r = entry.removed[k - entry.added.length];
          if (r) refs.push({ '@odata.type': r[1], id: r[0], '@removed': { reason: 'deleted' } });
        }
      }
      obj['members@delta'] = refs;
    }
    value.push(obj);
    refBudget -= take;
    offset += take;
    if (offset >= total) {
      i++;
      offset = 0;
    }
  }
  if (i >= round.entries.length) {
    const token = encode({ v: 1, e: env.state.epoch, s: round.endSeq, t: Date.now(), q: round.q });
    const result = collection(call, 'groups', value);
    return { ...result, body: { ...(result.body as Json), '@odata.deltaLink': linkWith(call, '$deltatoken', token, true) } };
  }
  const id = roundId ?? env.deltaRounds.put([round]);
  return collection(call, 'groups', value, { nextLink: linkWith(call, '$skiptoken', `${id}.${i}.${offset}`, true) });
}

export const deltaRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/groups/delta',
    throttle: 'identity',
    handler: ({ call, env }) => {
      const skip = param(call, '$skiptoken');
      if (skip !== undefined) {
        const m = /^([0-9a-f]{32})\.(\d+)\.(\d+)$/.exec(skip);
        const round = m?.[1] ? (env.deltaRounds.get(m[1])?.[0] as Round | undefined) : undefined;
        if (!m?.[1] || !round) throw resyncRequired(call);
        return renderPage(env, call, round, m[1], Number(m[2]), Number(m[3]));
      }
      const deltaToken = param(call, '$deltatoken');
      if (deltaToken === 'latest') {
        // delta-query-overview.md: $deltatoken=latest returns no objects, only a deltaLink for "from now on".
        const q = parseQuery(call);
        return renderPage(env, call, { entries: [], endSeq: env.state.changes.seq, q }, undefined, 0, 0);
      }
      if (deltaToken !== undefined)
        return renderPage(env, call, changesRound(env, decode(env, call, deltaToken)), undefined, 0, 0);
      return renderPage(env, call, initialRound(env, parseQuery(call)), undefined, 0, 0);
    },
  },
];
