/**
 * The exclusion groups of Conditional Access exclusions: create a security group, add and remove one member, and read
 * whether one is still a member. Docs: group-post-groups.md, group-post-members.md, group-delete-members.md,
 * group-list-members.md. "Already a member" (400 on add) and "not a member" (400, or 404 when the group or object is
 * gone, on remove) are outcomes, not failures: a retried or repeated call must land on the same state.
 */
import type { ExclusionGroups } from '../conditional-access/exclusions';
import { isGraphError } from './errors';
import { type Graph, graphPath } from './types';
import { directoryObjectUrl } from './urls';

const ALREADY_MEMBER = /already exist/i;
const NOT_A_MEMBER = /removed object references do not exist/i;

const messageOf = (body: unknown): string => {
  const err = typeof body === 'object' && body !== null ? (body as { error?: { message?: unknown } }).error : undefined;
  return typeof err?.message === 'string' ? err.message : '';
};

export class GraphExclusionGroups implements ExclusionGroups {
  constructor(
    private readonly graph: Graph,
    private readonly baseUrl: string,
  ) {}

  async createSecurityGroup(displayName: string, mailNickname: string, description: string): Promise<string> {
    const created = await this.graph.request<{ id?: unknown }>({
      method: 'POST',
      path: '/groups',
      body: { displayName, description, mailEnabled: false, mailNickname, securityEnabled: true, groupTypes: [] },
    });
    if (typeof created.id !== 'string') throw new Error('Graph created a group without an id');
    return created.id;
  }

  async addMember(groupId: string, objectId: string): Promise<boolean> {
    const res = await this.graph.send(
      {
        method: 'POST',
        path: graphPath`/groups/${groupId}/members/$ref`,
        body: { '@odata.id': directoryObjectUrl(this.baseUrl, objectId) },
        idempotent: true,
      },
      [400],
    );
    if (res.status === 400 && !ALREADY_MEMBER.test(messageOf(res.body))) throw new Error(`Adding member: ${messageOf(res.body)}`);
    return res.status !== 400;
  }

  async removeMember(groupId: string, objectId: string): Promise<boolean> {
    const res = await this.graph.send(
      { method: 'DELETE', path: graphPath`/groups/${groupId}/members/${objectId}/$ref`, idempotent: true },
      [400, 404],
    );
    if (res.status === 400 && !NOT_A_MEMBER.test(messageOf(res.body))) throw new Error(`Removing member: ${messageOf(res.body)}`);
    return res.status < 300;
  }

  /**
   * Reads the group's direct members (ids only, 999 a page, following `@odata.nextLink`) rather than asking for one
   * member: exclusion groups are small and dedicated, so this is one request, with the documented list call.
   */
  async isMember(groupId: string, objectId: string): Promise<boolean> {
    try {
      const pages = this.graph.pages<{ id?: unknown }>({
        method: 'GET',
        path: graphPath`/groups/${groupId}/members`,
        query: { $select: 'id', $top: '999' },
      });
      for await (const page of pages) if (page.value.some((m) => m.id === objectId)) return true;
      return false;
    } catch (err) {
      // The group was deleted: nobody is its member any more.
      if (isGraphError(err, 404)) return false;
      throw err;
    }
  }
}
