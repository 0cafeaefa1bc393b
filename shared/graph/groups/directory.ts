/** Group lookups for saving jobs and the memberOf import: by id, by exact display name, and every dynamic group. */

import type { Group } from '@microsoft/microsoft-graph-types';

import type { GroupCandidate, GroupDirectory, GroupInfo } from '../../sync/ports';
import { graphPath } from '../types';
import { GROUP_SELECT, type GroupsContext, odataString, ok, toGroupInfo } from './context';

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

export function createGroupDirectory(ctx: GroupsContext): GroupDirectory {
  return {
    async getGroup(id) {
      const res = await ctx.graph.send<Group>(
        { method: 'GET', path: graphPath`/groups/${id}`, query: { $select: GROUP_SELECT } },
        [400, 404],
      );
      return ok(res.status) && res.body ? toGroupInfo(res.body) : undefined;
    },

    async findByDisplayName(name) {
      const groups = (
        await ctx.graph.all<Group>({
          method: 'GET',
          path: '/groups',
          query: { $filter: `displayName eq ${odataString(name)}`, $select: GROUP_SELECT, $top: '999' },
        })
      ).map(toGroupInfo);
      // Member counts help a caller pick among namesakes; one $batch of `$count` reads, only when there are several.
      const counts =
        groups.length > 1
          ? await ctx.graph.batch<unknown>(
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
      const groups = await ctx.graph.all<Group>({
        method: 'GET',
        path: '/groups',
        query: { $filter: "groupTypes/any(c:c eq 'DynamicMembership')", $select: GROUP_SELECT, $top: '999' },
      });
      return groups.map(toGroupInfo);
    },
  };
}
