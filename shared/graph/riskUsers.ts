import type { AuthenticationMethod, User } from '@microsoft/microsoft-graph-types';

import type { UserFacts } from '../risk/model';
import type { UserDirectory } from '../risk/ports';
import type { Graph } from './types';
import { graphPath } from './types';

/**
 * User facts for risk triage (user-get.md, authentication-list-methods.md, user-list-sponsors.md). Member or guest is
 * decided from `userType`, then the `#EXT#` UPN and `creationType: Invitation`, because older guests and B2B direct
 * connect users do not all carry `userType: Guest`. Permissions: User.Read.All, UserAuthenticationMethod.Read.All.
 */
const USER_SELECT =
  'id,displayName,userPrincipalName,userType,creationType,externalUserState,accountEnabled,onPremisesSyncEnabled';

const METHOD_NAMES: Record<string, string> = {
  '#microsoft.graph.passwordAuthenticationMethod': 'password',
  '#microsoft.graph.phoneAuthenticationMethod': 'phone',
  '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod': 'microsoftAuthenticator',
  '#microsoft.graph.fido2AuthenticationMethod': 'fido2',
  '#microsoft.graph.windowsHelloForBusinessAuthenticationMethod': 'windowsHelloForBusiness',
  '#microsoft.graph.emailAuthenticationMethod': 'email',
  '#microsoft.graph.softwareOathAuthenticationMethod': 'softwareOath',
  '#microsoft.graph.temporaryAccessPassAuthenticationMethod': 'temporaryAccessPass',
  '#microsoft.graph.platformCredentialAuthenticationMethod': 'platformCredential',
};

export function isGuest(u: Pick<User, 'userType' | 'userPrincipalName' | 'creationType'>): boolean {
  return u.userType === 'Guest' || /#EXT#@/i.test(u.userPrincipalName ?? '') || u.creationType === 'Invitation';
}

export type RolesReader = (userId: string) => Promise<string[] | undefined>;

export class GraphRiskUsers implements UserDirectory {
  constructor(
    private readonly graph: Graph,
    /** Privileged roles come from the privileged-users adapter when the deployment has it. */
    private readonly roles: RolesReader = () => Promise.resolve(undefined),
  ) {}

  async find(ref: { id?: string; userPrincipalName?: string }): Promise<UserFacts | undefined> {
    const key = ref.id ?? ref.userPrincipalName;
    if (!key) return undefined;
    // 404 for unknown or deleted users; 400 Request_BadRequest for a malformed id or UPN: both mean "no such user".
    const r = await this.graph.send<User>(
      { method: 'GET', path: graphPath`/users/${key}`, query: { $select: USER_SELECT } },
      [400, 404],
    );
    if (r.status !== 200 || !r.body?.id) return undefined;
    const u = r.body;
    return {
      id: (u.id ?? '').toLowerCase(),
      userPrincipalName: u.userPrincipalName ?? key,
      ...(u.displayName ? { displayName: u.displayName } : {}),
      kind: isGuest(u) ? 'guest' : 'member',
      ...(typeof u.accountEnabled === 'boolean' ? { accountEnabled: u.accountEnabled } : {}),
      ...(u.onPremisesSyncEnabled === true ? { onPremisesSyncEnabled: true } : {}),
      ...(u.creationType ? { creationType: u.creationType } : {}),
      ...(u.externalUserState ? { externalUserState: u.externalUserState } : {}),
    };
  }

  async authMethods(userId: string): Promise<string[]> {
    const methods = await this.graph.all<AuthenticationMethod & { '@odata.type'?: string }>({
      method: 'GET',
      path: graphPath`/users/${userId}/authentication/methods`,
    });
    const names = methods.map(
      (m) => METHOD_NAMES[m['@odata.type'] ?? ''] ?? (m['@odata.type'] ?? 'other').replace(/^#microsoft\.graph\./, ''),
    );
    return [...new Set(names)];
  }

  async sponsors(userId: string): Promise<string[]> {
    const sponsors = await this.graph.all<User>({
      method: 'GET',
      path: graphPath`/users/${userId}/sponsors`,
      query: { $select: 'id,displayName,userPrincipalName' },
    });
    return sponsors.map((s) => `${s.displayName ?? s.id ?? 'unknown'}${s.userPrincipalName ? ` <${s.userPrincipalName}>` : ''}`);
  }

  privilegedRoles(userId: string): Promise<string[] | undefined> {
    return this.roles(userId);
  }
}
