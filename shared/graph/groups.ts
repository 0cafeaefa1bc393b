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

import type { GroupDirectory, MembershipReader, MembershipWriter } from '../sync/ports';
import { groupsContext } from './groups/context';
import { createGroupDirectory } from './groups/directory';
import { createMembershipReader } from './groups/membershipReader';
import { createMembershipWriter } from './groups/membershipWriter';
import type { Graph } from './types';

export { BIND_CHUNK } from './groups/membershipWriter';

export interface GroupsAdapterOptions {
  /** Graph root for `members@odata.bind` URLs (config.graph.baseUrl: public cloud, a national cloud or the sandbox). */
  readonly baseUrl: string;
  /** Waits before re-trying adds that failed because a fresh object was not visible yet. */
  readonly consistencyDelaysMs?: readonly number[];
  readonly sleep?: (ms: number) => Promise<void>;
}

export type GroupsAdapter = GroupDirectory & MembershipReader & MembershipWriter;

/** The three ports over one Graph scope (the reader's and writer's requests count in the same run counters). */
export function createGroupsAdapter(graph: Graph, options: GroupsAdapterOptions): GroupsAdapter {
  const ctx = groupsContext(graph, options);
  return { ...createGroupDirectory(ctx), ...createMembershipReader(ctx), ...createMembershipWriter(ctx) };
}
