/**
 * Sign-in logs for the risk job (signin-list.md): 5 requests per 10 s per app and tenant, paced by the gateway; pages of
 * up to 1,000, newest first. `status/errorCode eq` is a documented filter; "not 0" is not, so problem sign-ins are
 * picked client-side. `appliedConditionalAccessPolicies` is only returned with a Policy.Read permission too.
 * Permission: AuditLog.Read.All.
 */

import type { SignIn } from '@microsoft/microsoft-graph-types';

import { RiskAccessDenied } from '../risk/errors';
import { HOME_TENANT_RISK_ERROR, type SignInFacts } from '../risk/model';
import type { SignInReader, SignInRecord } from '../risk/ports';
import { isGraphError } from './errors';
import type { Graph } from './types';

export const SIGN_IN_PAGE_SIZE = 1000;
export const SIGN_INS_PERMISSION = 'AuditLog.Read.All';
const ROUTE = 'GET /auditLogs/signIns';

const RISKY = new Set(['low', 'medium', 'high']);

export function signInFacts(s: SignIn): SignInFacts {
  const where = [s.location?.city, s.location?.countryOrRegion].filter((p): p is string => !!p).join(', ');
  return {
    id: s.id ?? '',
    createdDateTime: s.createdDateTime ?? '',
    errorCode: s.status?.errorCode ?? 0,
    ...(s.status?.failureReason ? { failureReason: s.status.failureReason } : {}),
    ...(s.appDisplayName ? { appDisplayName: s.appDisplayName } : {}),
    ...(s.ipAddress ? { ipAddress: s.ipAddress } : {}),
    ...(where ? { location: where } : {}),
    ...(s.riskLevelDuringSignIn ? { riskLevelDuringSignIn: s.riskLevelDuringSignIn } : {}),
    failedPolicies: (s.appliedConditionalAccessPolicies ?? [])
      .filter((p) => p.result === 'failure')
      .map((p) => p.displayName ?? p.id ?? 'unnamed policy'),
  };
}

function denied(e: unknown): never {
  if (isGraphError(e, 403)) throw new RiskAccessDenied(ROUTE, SIGN_INS_PERMISSION, false);
  throw e;
}

export class GraphSignInReader implements SignInReader {
  constructor(private readonly graph: Graph) {}

  async *homeTenantBlocks(since: string): AsyncIterable<readonly SignInRecord[]> {
    try {
      for await (const page of this.graph.pages<SignIn>({
        method: 'GET',
        path: '/auditLogs/signIns',
        query: {
          $filter: `status/errorCode eq ${HOME_TENANT_RISK_ERROR} and createdDateTime ge ${since}`,
          $top: String(SIGN_IN_PAGE_SIZE),
        },
      }))
        yield page.value
          .filter((s) => s.userId)
          .map((s) => ({
            ...signInFacts(s),
            userId: (s.userId ?? '').toLowerCase(),
            ...(s.userPrincipalName ? { userPrincipalName: s.userPrincipalName } : {}),
          }));
    } catch (e) {
      denied(e);
    }
  }

  async recentProblems(userId: string, since: string, top: number): Promise<SignInFacts[]> {
    try {
      const page = await this.graph.request<{ value?: SignIn[] }>({
        method: 'GET',
        path: '/auditLogs/signIns',
        query: { $filter: `userId eq '${userId}' and createdDateTime ge ${since}`, $top: '50' },
      });
      return (page.value ?? [])
        .filter((s) => (s.status?.errorCode ?? 0) !== 0 || RISKY.has(s.riskLevelDuringSignIn ?? 'none'))
        .slice(0, top)
        .map(signInFacts);
    } catch (e) {
      return denied(e);
    }
  }
}
