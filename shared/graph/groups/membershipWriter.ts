/**
 * Membership writes: adds as `members@odata.bind` PATCHes of 20, falling back to per-member `$ref` adds for a chunk
 * Graph refused; removes as `$ref` DELETEs; "already a member" and "not a member" count as success.
 */

import type { SyncRun } from '../../sync/jobModel';
import type { MembershipWriter, WriteOutcome } from '../../sync/ports';
import { graphPath } from '../types';
import { batchItems, type GroupsContext, ok } from './context';

export const BIND_CHUNK = 20;
const ALREADY_MEMBER = /already exist/i;
const NOT_A_MEMBER = /removed object references do not exist/i;

export function createMembershipWriter(ctx: GroupsContext): MembershipWriter {
  return {
    async add(groupId, memberIds) {
      const chunks: string[][] = [];
      for (let i = 0; i < memberIds.length; i += BIND_CHUNK) chunks.push(memberIds.slice(i, i + BIND_CHUNK));
      const results = await batchItems(
        ctx.graph,
        chunks.map((chunk) => ({
          method: 'PATCH',
          path: graphPath`/groups/${groupId}`,
          body: { 'members@odata.bind': chunk.map(ctx.bindUrl) },
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
      for (const outcome of await addOneByOne(ctx, groupId, fallback)) outcomes.set(outcome.id, outcome);
      return memberIds.map((id) => outcomes.get(id) as WriteOutcome);
    },

    async remove(groupId, memberIds) {
      const results = await batchItems(
        ctx.graph,
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
      return { ...ctx.graph.counters };
    },
  };
}

/** Per-member `$ref` adds with eventual-consistency retries; used only for chunks whose bind PATCH failed. */
async function addOneByOne(ctx: GroupsContext, groupId: string, ids: readonly string[]): Promise<WriteOutcome[]> {
  const outcomes = new Map<string, WriteOutcome>();
  let pending = [...ids];
  for (let attempt = 0; pending.length > 0; attempt++) {
    const results = await batchItems(
      ctx.graph,
      pending.map((id) => ({
        method: 'POST',
        path: graphPath`/groups/${groupId}/members/$ref`,
        body: { '@odata.id': ctx.bindUrl(id) },
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
        if ((res.status === 404 || res.status === 400) && attempt < ctx.consistencyDelaysMs.length) retry.push(id);
      }
    });
    if (retry.length > 0) await ctx.sleep(ctx.consistencyDelaysMs[attempt] ?? 0);
    pending = retry;
  }
  return ids.map((id) => outcomes.get(id) as WriteOutcome);
}
