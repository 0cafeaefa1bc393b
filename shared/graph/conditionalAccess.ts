/**
 * Conditional Access policies, named locations and authentication strengths, plus the directory lookups the CA
 * helpers need (names of referenced ids, a user by id or UPN, a user's groups, objects by name).
 * Docs: conditionalaccessroot-list-policies.md, conditionalaccesspolicy-get.md / -update.md,
 * conditionalaccessroot-post-policies.md, conditionalaccessroot-list-namedlocations.md,
 * authenticationstrengthroot-list-policies.md, directoryobject-getbyids.md, user-list-transitivememberof.md.
 * The gateway paces every `/identity/conditionalAccess/*` request to the 1 request/s tenant budget (pacing.ts).
 */
import type { DynamicGroupReader } from '../conditional-access/guestRisk';
import { type CaPolicy, isPolicy, type Json } from '../conditional-access/model';
import type {
  DirectoryLookup,
  DirectoryName,
  DirectoryObjectType,
  PolicyReader,
  PolicyWriter,
  UserRef,
} from '../conditional-access/ports';
import { isGraphError } from './errors';
import { namingPermission } from './permissionMissing';
import { type Graph, graphPath } from './types';

const POLICIES = '/identity/conditionalAccess/policies';
const GETBYIDS_MAX = 1000;
const TYPES: Record<string, DirectoryObjectType> = {
  '#microsoft.graph.user': 'user',
  '#microsoft.graph.group': 'group',
  '#microsoft.graph.servicePrincipal': 'servicePrincipal',
  '#microsoft.graph.device': 'device',
};

function asPolicy(value: unknown): CaPolicy {
  if (!isPolicy(value)) throw new Error('Graph returned a Conditional Access policy without id, displayName or a known state');
  const { ['@odata.context']: _context, ...rest } = value;
  return rest;
}

/** OData string literal: single quotes doubled (a name such as O'Brien). */
const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export class GraphConditionalAccess implements PolicyReader, PolicyWriter, DirectoryLookup, DynamicGroupReader {
  constructor(private readonly graph: Graph) {}

  async listPolicies(): Promise<CaPolicy[]> {
    const out: CaPolicy[] = [];
    const pages = this.graph.pages<unknown>({ method: 'GET', path: POLICIES });
    const it = pages[Symbol.asyncIterator]();
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      out.push(...next.value.value.map(asPolicy));
    }
    return out;
  }

  async getPolicy(id: string): Promise<CaPolicy | undefined> {
    const res = await this.graph.send<unknown>({ method: 'GET', path: `${POLICIES}/${encodeURIComponent(id)}` }, [404]);
    return res.status === 404 ? undefined : asPolicy(res.body);
  }

  async createPolicy(body: Json): Promise<CaPolicy> {
    return asPolicy(await this.graph.request<unknown>({ method: 'POST', path: POLICIES, body }));
  }

  async updatePolicy(id: string, body: Json): Promise<void> {
    await namingPermission('PATCH /identity/conditionalAccess/policies/{id}', 'Policy.ReadWrite.ConditionalAccess', () =>
      this.graph.request({ method: 'PATCH', path: `${POLICIES}/${encodeURIComponent(id)}`, body }),
    );
  }

  async listNamedLocations(): Promise<Json[]> {
    return this.pacedAll('/identity/conditionalAccess/namedLocations');
  }

  async listAuthenticationStrengths(): Promise<Json[]> {
    // Not in the CA bucket: policies/* is identity & access (throttling-limits.md lists only CA policies and locations).
    const all = await this.graph.all<Json>({ method: 'GET', path: '/policies/authenticationStrengthPolicies' });
    return all.map(({ ['combinationConfigurations@odata.context']: _c, ...rest }) => rest);
  }

  private async pacedAll(path: string): Promise<Json[]> {
    const out: Json[] = [];
    const it = this.graph.pages<Json>({ method: 'GET', path })[Symbol.asyncIterator]();
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      out.push(...next.value.value);
    }
    return out;
  }

  async namesOf(ids: readonly string[]): Promise<Map<string, DirectoryName>> {
    const out = new Map<string, DirectoryName>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += GETBYIDS_MAX) {
      const res = await this.graph.request<{ value?: Json[] }>({
        method: 'POST',
        path: '/directoryObjects/getByIds',
        query: { $select: 'id,displayName,userPrincipalName' },
        body: { ids: unique.slice(i, i + GETBYIDS_MAX) },
      });
      for (const o of res.value ?? []) {
        if (typeof o.id !== 'string') continue;
        out.set(o.id, {
          id: o.id,
          type: TYPES[String(o['@odata.type'])] ?? 'other',
          displayName: typeof o.displayName === 'string' ? o.displayName : null,
          ...(typeof o.userPrincipalName === 'string' ? { userPrincipalName: o.userPrincipalName } : {}),
        });
      }
    }
    return out;
  }

  async findUser(ref: string): Promise<UserRef | undefined> {
    const res = await this.graph.send<Json>(
      { method: 'GET', path: graphPath`/users/${ref}`, query: { $select: 'id,userPrincipalName,displayName,userType' } },
      [400, 404],
    );
    const b = res.body;
    if (res.status !== 200 || !b || typeof b.id !== 'string') return undefined;
    return {
      id: b.id,
      userPrincipalName: typeof b.userPrincipalName === 'string' ? b.userPrincipalName : ref,
      displayName: typeof b.displayName === 'string' ? b.displayName : null,
      userType: b.userType === 'Guest' ? 'Guest' : 'Member',
    };
  }

  async groupsOf(objectId: string): Promise<Set<string>> {
    try {
      const all = await this.graph.all<Json>({
        method: 'GET',
        path: graphPath`/users/${objectId}/transitiveMemberOf`,
        query: { $select: 'id', $top: '999' },
      });
      return new Set(all.map((g) => String(g.id)));
    } catch (err) {
      if (isGraphError(err, 404)) return new Set();
      throw err;
    }
  }

  async findByName(type: 'user' | 'group', name: string): Promise<DirectoryName[]> {
    const filter = type === 'user' ? `userPrincipalName eq ${literal(name)}` : `displayName eq ${literal(name)}`;
    const all = await this.graph.all<Json>({
      method: 'GET',
      path: type === 'user' ? '/users' : '/groups',
      query: { $filter: filter, $select: 'id,displayName,userPrincipalName' },
    });
    return all.map((o) => ({
      id: String(o.id),
      type,
      displayName: typeof o.displayName === 'string' ? o.displayName : null,
      ...(typeof o.userPrincipalName === 'string' ? { userPrincipalName: o.userPrincipalName } : {}),
    }));
  }

  async dynamicGroups(): Promise<{ id: string; displayName: string | null; membershipRule: string | null }[]> {
    const all = await this.graph.all<Json>({
      method: 'GET',
      path: '/groups',
      query: { $filter: "groupTypes/any(c:c eq 'DynamicMembership')", $select: 'id,displayName,membershipRule', $top: '999' },
    });
    return all.map((g) => ({
      id: String(g.id),
      displayName: typeof g.displayName === 'string' ? g.displayName : null,
      membershipRule: typeof g.membershipRule === 'string' ? g.membershipRule : null,
    }));
  }
}
