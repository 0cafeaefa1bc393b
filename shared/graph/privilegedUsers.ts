/**
 * "Which of these users are privileged?": holders of an active directory role assignment
 * (`roleManagement/directory/roleAssignments`, rbacapplication-list-roleassignments.md) and members of
 * role-assignable groups (`isAssignableToRole`, read from the user's transitive memberships,
 * user-list-transitivememberof.md). Only role-assignable groups can hold directory roles, so membership covers
 * group-based role holders too, and it also covers groups an owner could give a role at any time.
 * Two parallel reads per user, 10 users per `$batch`. A read that fails throws: the answer must never default to
 * "not privileged". Permissions: RoleManagement.Read.Directory, User.Read.All (infra/graph-permissions.json).
 * Not covered: PIM-eligible assignments that are not active (roleEligibilityScheduleInstances).
 */

import type { Group, UnifiedRoleAssignment, UnifiedRoleDefinition } from '@microsoft/microsoft-graph-types';

import type { BatchItem, BatchItemResult, Graph } from './types';
import { graphPath } from './types';

export type PrivilegeReason =
  | { readonly kind: 'directoryRole'; readonly roleDefinitionId: string; readonly roleName: string }
  | { readonly kind: 'roleAssignableGroup'; readonly groupId: string; readonly groupName: string };

export interface PrivilegedUserReader {
  /** The privileged users among `userIds` (object ids) with every reason; ids that are not privileged are absent. */
  privilegedAmong(userIds: readonly string[]): Promise<Map<string, readonly PrivilegeReason[]>>;
}

export class PrivilegedUserReadError extends Error {
  override readonly name = 'PrivilegedUserReadError';
  constructor(
    readonly userId: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(`cannot tell whether user ${userId} is privileged (Graph ${status} ${code})`);
  }
}

type Assignment = UnifiedRoleAssignment & { roleDefinition?: UnifiedRoleDefinition | null };
interface Collection<T> {
  value?: T[];
  '@odata.nextLink'?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function describePrivilege(reasons: readonly PrivilegeReason[]): string {
  return reasons
    .map((r) => (r.kind === 'directoryRole' ? `directory role ${r.roleName}` : `member of role-assignable group ${r.groupName}`))
    .join('; ');
}

export class GraphPrivilegedUsers implements PrivilegedUserReader {
  constructor(private readonly graph: Graph) {}

  async privilegedAmong(userIds: readonly string[]): Promise<Map<string, readonly PrivilegeReason[]>> {
    const ids = [...new Set(userIds)];
    for (const id of ids) if (!GUID.test(id)) throw new Error(`privilegedAmong takes object ids, got ${JSON.stringify(id)}`);
    const items: BatchItem[] = ids.flatMap((id) => [
      {
        method: 'GET' as const,
        // GUIDs only (checked above), so the quoted literal cannot break out of the filter.
        path: `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${id}'`)}&$expand=roleDefinition`,
      },
      {
        method: 'GET' as const,
        path: `${graphPath`/users/${id}/transitiveMemberOf`}?$select=id,displayName,isAssignableToRole&$top=999`,
      },
    ]);
    const results = await this.graph.batch(items);
    const out = new Map<string, readonly PrivilegeReason[]>();
    for (const [i, id] of ids.entries()) {
      const roles = results[2 * i] as BatchItemResult<Collection<Assignment>> | undefined;
      const groups = results[2 * i + 1] as BatchItemResult<Collection<Group>> | undefined;
      // A user that does not exist cannot be changed either; the caller reports it as not found.
      if (groups?.status === 404) continue;
      const reasons = [...roleReasons(id, roles), ...(await this.groupReasons(id, groups))];
      if (reasons.length > 0) out.set(id, reasons);
    }
    return out;
  }

  private async groupReasons(id: string, r: BatchItemResult<Collection<Group>> | undefined): Promise<PrivilegeReason[]> {
    const body = ok(id, r);
    const all = [...(body.value ?? [])];
    // More than 999 memberships is rare; follow the link rather than guess.
    const next = body['@odata.nextLink'];
    if (next) all.push(...(await this.graph.all<Group>({ method: 'GET', path: next })));
    return all
      .filter((g) => g.isAssignableToRole === true && g.id)
      .map((g) => ({ kind: 'roleAssignableGroup', groupId: g.id ?? '', groupName: g.displayName ?? g.id ?? '' }));
  }
}

function ok<T>(userId: string, r: BatchItemResult<T> | undefined): T {
  if (!r || r.status !== 200 || r.body === undefined)
    throw new PrivilegedUserReadError(userId, r?.status ?? 0, r?.error?.code ?? 'noResult');
  return r.body;
}

function roleReasons(userId: string, r: BatchItemResult<Collection<Assignment>> | undefined): PrivilegeReason[] {
  return (ok(userId, r).value ?? []).map((a) => ({
    kind: 'directoryRole',
    roleDefinitionId: a.roleDefinitionId ?? '',
    roleName: a.roleDefinition?.displayName ?? a.roleDefinitionId ?? 'unknown role',
  }));
}
