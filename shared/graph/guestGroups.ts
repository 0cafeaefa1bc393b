/**
 * Creates the dynamic all-guests group of the guest-risk fix (group-post-groups.md: groupTypes ["DynamicMembership"]
 * makes a dynamic security group; group.md: membershipRule, membershipRuleProcessingState "On" or "Paused").
 * Group.Create is enough for a group created without owners or members (group-post-groups.md, Permissions).
 */
import { dynamicGroupBody, type DynamicGroupSpec, type DynamicGroupWriter } from '../conditional-access/guestRiskFix';
import { namingPermission } from './permissionMissing';
import type { Graph } from './types';

export class GraphGuestGroups implements DynamicGroupWriter {
  constructor(private readonly graph: Graph) {}

  async createDynamicGroup(spec: DynamicGroupSpec): Promise<string> {
    const created = await namingPermission('POST /groups', 'Group.Create', () =>
      this.graph.request<{ id?: unknown }>({ method: 'POST', path: '/groups', body: dynamicGroupBody(spec) }),
    );
    if (typeof created.id !== 'string') throw new Error('Graph created a group without an id');
    return created.id;
  }
}
