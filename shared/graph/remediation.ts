/**
 * Graph calls of remediation and TAP issuance. Each write is the documented call of its action (docs in
 * docs/remediation.md; permissions in infra/graph-permissions.json, capability `remediation`). Graph errors become
 * DirectoryFailure kinds the job decides on: 403 forbidden (permission or role missing), 404 notFound, 429
 * throttled and 5xx unavailable (after the gateway's own retries), other 4xx rejected.
 */

import type { User } from '@microsoft/microsoft-graph-types';

import {
  DirectoryFailure,
  type IssuedPass,
  type RemediationWriter,
  type Sponsor,
  type TapDirectory,
  type UserDirectory,
} from '../remediation/ports';
import { isExternalGuest, type TargetUser } from '../remediation/target';
import type { TapPlan, TapPolicy, TapTargetFacts } from '../tap/policy';
import { GraphError } from './errors';
import { PrivilegedUserReadError } from './privilegedUsers';
import type { Graph } from './types';
import { graphPath } from './types';

export const TARGET_USER_SELECT =
  'id,userPrincipalName,displayName,userType,creationType,externalUserState,onPremisesSyncEnabled,accountEnabled';

/** Active privileged directory roles of a user (wired to the privileged-user detection). */
export interface PrivilegedLookup {
  rolesOf(userId: string): Promise<readonly string[]>;
}

function failure(err: unknown): unknown {
  if (err instanceof PrivilegedUserReadError) {
    const kind =
      err.status === 403
        ? 'forbidden'
        : err.status === 429
          ? 'throttled'
          : err.status >= 500 || err.status === 0
            ? 'unavailable'
            : 'rejected';
    return new DirectoryFailure(
      kind,
      `reading the user's privileged roles answered ${err.status} ${err.code}`,
      err.status,
      err.code,
    );
  }
  if (!(err instanceof GraphError)) return err;
  const status = err.status ?? 0;
  const what = `${err.method ?? ''} ${err.route ?? ''} answered ${status}${err.code ? ` ${err.code}` : ''}`.trim();
  if (err.kind === 'retriesExhausted' || err.kind === 'deadline') {
    return new DirectoryFailure(status === 429 ? 'throttled' : 'unavailable', what, status, err.code);
  }
  if (err.kind !== 'http') return err;
  if (status === 403 || status === 401) return new DirectoryFailure('forbidden', what, status, err.code);
  if (status === 404) return new DirectoryFailure('notFound', what, status, err.code);
  if (status === 429) return new DirectoryFailure('throttled', what, status, err.code);
  if (status >= 500) return new DirectoryFailure('unavailable', what, status, err.code);
  return new DirectoryFailure('rejected', `${what}: ${err.graphMessage ?? err.message}`, status, err.code);
}

async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw failure(err);
  }
}

interface RiskyUserBody {
  riskLevel?: string;
  riskDetail?: string;
}

interface TapConfigBody {
  state?: string;
  isUsableOnce?: boolean;
  defaultLifetimeInMinutes?: number;
  minimumLifetimeInMinutes?: number;
  maximumLifetimeInMinutes?: number;
  includeTargets?: { id?: string }[];
  excludeTargets?: { id?: string }[];
}

interface TapBody {
  id?: string;
  temporaryAccessPass?: string | null;
  startDateTime?: string;
  lifetimeInMinutes?: number;
  isUsableOnce?: boolean;
}

export class GraphRemediation implements UserDirectory, RemediationWriter, TapDirectory {
  constructor(
    private readonly graph: Graph,
    private readonly privileged: PrivilegedLookup,
  ) {}

  async findUser(ref: string): Promise<TargetUser | undefined> {
    const res = await call(() =>
      this.graph.send<User>(
        { method: 'GET', path: graphPath`/users/${ref}`, query: { $select: TARGET_USER_SELECT } },
        [404, 400],
      ),
    );
    // An id that is not a GUID and not a UPN of this tenant answers 400 Request_BadRequest on Graph.
    if (res.status !== 200 || !res.body?.id) return undefined;
    const u = res.body;
    const id = u.id ?? '';
    return {
      id,
      userPrincipalName: u.userPrincipalName ?? ref,
      ...(u.displayName ? { displayName: u.displayName } : {}),
      userType: u.userType === 'Guest' ? 'Guest' : 'Member',
      externalGuest: isExternalGuest(u),
      onPremisesSynced: u.onPremisesSyncEnabled === true,
      accountEnabled: u.accountEnabled !== false,
      privilegedRoles: await call(() => this.privileged.rolesOf(id)),
    };
  }

  async hasP2(userId: string): Promise<boolean> {
    // riskyuser-get.md: tenants without P2 see risk levels as `hidden`; the API itself may answer 403.
    const res = await call(() =>
      this.graph.send<RiskyUserBody>({ method: 'GET', path: graphPath`/identityProtection/riskyUsers/${userId}` }, [403, 404]),
    );
    if (res.status === 403) return false;
    if (res.status === 404) return true;
    return res.body?.riskLevel !== 'hidden' && res.body?.riskDetail !== 'hidden';
  }

  async dismissRisk(userId: string): Promise<void> {
    await call(() =>
      this.graph.request({ method: 'POST', path: '/identityProtection/riskyUsers/dismiss', body: { userIds: [userId] } }),
    );
  }

  async confirmCompromised(userId: string): Promise<void> {
    await call(() =>
      this.graph.request({
        method: 'POST',
        path: '/identityProtection/riskyUsers/confirmCompromised',
        body: { userIds: [userId] },
      }),
    );
  }

  async revokeSessions(userId: string): Promise<void> {
    // user-revokesigninsessions.md: 200 {value:true}, with a known issue of other 2xx codes; any 2xx is success.
    await call(() => this.graph.request({ method: 'POST', path: graphPath`/users/${userId}/revokeSignInSessions` }));
  }

  async setPassword(userId: string, password: string): Promise<void> {
    await call(() =>
      this.graph.request({
        method: 'PATCH',
        path: graphPath`/users/${userId}`,
        body: { passwordProfile: { password, forceChangePasswordNextSignIn: true } },
      }),
    );
  }

  async requirePasswordChange(userId: string): Promise<void> {
    await call(() =>
      this.graph.request({
        method: 'PATCH',
        path: graphPath`/users/${userId}`,
        body: { passwordProfile: { forceChangePasswordNextSignIn: true } },
      }),
    );
  }

  async setAccountEnabled(userId: string, enabled: boolean): Promise<void> {
    await call(() =>
      this.graph.request({ method: 'PATCH', path: graphPath`/users/${userId}`, body: { accountEnabled: enabled } }),
    );
  }

  async removeFromGroup(groupId: string, userId: string): Promise<'removed' | 'notMember'> {
    // Always /$ref: it removes the membership, never the object (group-delete-members.md).
    const res = await call(() =>
      this.graph.send({ method: 'DELETE', path: graphPath`/groups/${groupId}/members/${userId}/$ref` }, [404]),
    );
    return res.status === 404 ? 'notMember' : 'removed';
  }

  async sponsors(userId: string): Promise<Sponsor[]> {
    const list = await call(() =>
      this.graph.all<{ '@odata.type'?: string; id?: string; displayName?: string | null; mail?: string | null }>({
        method: 'GET',
        path: graphPath`/users/${userId}/sponsors`,
        query: { $select: 'id,displayName,mail' },
      }),
    );
    return list
      .filter((s) => typeof s.id === 'string')
      .map((s) => ({
        id: s.id ?? '',
        type: s['@odata.type'] === '#microsoft.graph.group' ? 'group' : 'user',
        ...(s.displayName ? { displayName: s.displayName } : {}),
        ...(s.mail ? { mail: s.mail } : {}),
      }));
  }

  async readPolicy(): Promise<TapPolicy> {
    const c = await call(() =>
      this.graph.request<TapConfigBody>({
        method: 'GET',
        path: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass',
      }),
    );
    // Portal defaults (graph-facts): 60 min default, 60-480 bounds, multi-use allowed.
    return {
      state: c.state === 'enabled' ? 'enabled' : 'disabled',
      isUsableOnce: c.isUsableOnce === true,
      defaultLifetimeInMinutes: c.defaultLifetimeInMinutes ?? 60,
      minimumLifetimeInMinutes: c.minimumLifetimeInMinutes ?? 60,
      maximumLifetimeInMinutes: c.maximumLifetimeInMinutes ?? 480,
      includeTargets: (c.includeTargets ?? []).map((t) => t.id ?? '').filter(Boolean),
      excludeTargets: (c.excludeTargets ?? []).map((t) => t.id ?? '').filter(Boolean),
    };
  }

  async targetFacts(user: TargetUser, policy: TapPolicy): Promise<TapTargetFacts> {
    const wanted = new Set([...policy.includeTargets, ...policy.excludeTargets].filter((t) => t !== 'all_users'));
    const hits = new Set<string>();
    if (wanted.has(user.id)) hits.add(user.id);
    if (wanted.size > 0) {
      const groups = await call(() =>
        this.graph.all<{ id?: string }>({
          method: 'GET',
          path: graphPath`/users/${user.id}/transitiveMemberOf`,
          query: { $select: 'id', $top: '999' },
        }),
      );
      for (const g of groups) if (g.id && wanted.has(g.id)) hits.add(g.id);
    }
    return { externalGuest: user.externalGuest, memberOfTargets: hits };
  }

  async createPass(userId: string, plan: TapPlan): Promise<IssuedPass> {
    const body = await call(() =>
      this.graph.request<TapBody>({
        method: 'POST',
        path: graphPath`/users/${userId}/authentication/temporaryAccessPassMethods`,
        body: plan,
      }),
    );
    if (!body.id || !body.temporaryAccessPass) throw new DirectoryFailure('rejected', 'Graph created a pass but returned none');
    return {
      methodId: body.id,
      temporaryAccessPass: body.temporaryAccessPass,
      startDateTime: body.startDateTime ?? new Date().toISOString(),
      lifetimeInMinutes: body.lifetimeInMinutes ?? plan.lifetimeInMinutes,
      isUsableOnce: body.isUsableOnce ?? plan.isUsableOnce,
    };
  }
}
