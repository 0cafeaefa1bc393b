/**
 * Identity Protection for the risk job (riskyuser-list.md, riskyuser-get.md, riskdetection-list.md). These routes
 * share one budget of 1 request per second per tenant with every other app and answer 429 without Retry-After; the
 * gateway paces them (pacing.ts), so this adapter only asks for the biggest pages and the fewest requests.
 * Permissions: IdentityRiskyUser.Read.All (riskyUsers, which also needs Entra ID P2), IdentityRiskEvent.Read.All
 * (riskDetections; without P2 they come back with riskLevel "hidden" and premium detections as "generic").
 */

import type { RiskDetection, RiskyUser } from '@microsoft/microsoft-graph-types';

import { RiskAccessDenied } from '../risk/errors';
import type { DetectionFacts, RiskView } from '../risk/model';
import type { DetectionRecord, RiskReader, RiskyUserRecord } from '../risk/ports';
import { isGraphError } from './errors';
import type { Graph } from './types';
import { graphPath } from './types';

export const RISK_PAGE_SIZE = 500;

export const RISKY_USERS_PERMISSION = 'IdentityRiskyUser.Read.All';
export const RISK_DETECTIONS_PERMISSION = 'IdentityRiskEvent.Read.All';

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

export function detectionFacts(d: RiskDetection): DetectionFacts {
  const where = [d.location?.city, d.location?.countryOrRegion].filter((p): p is string => !!p).join(', ');
  const facts: Record<string, string> = { id: d.id ?? '', riskEventType: d.riskEventType ?? 'unknown' };
  for (const [k, v] of Object.entries({
    riskLevel: opt(d.riskLevel),
    riskState: opt(d.riskState),
    detectedDateTime: opt(d.detectedDateTime),
    activityDateTime: opt(d.activityDateTime),
    ipAddress: opt(d.ipAddress),
    location: where || undefined,
    source: opt(d.source),
  }))
    if (v) facts[k] = v;
  return facts as unknown as DetectionFacts;
}

function riskyUserRecord(r: RiskyUser): RiskyUserRecord {
  return {
    id: (r.id ?? '').toLowerCase(),
    ...(r.riskLevel ? { level: r.riskLevel } : {}),
    ...(r.riskState ? { state: r.riskState } : {}),
    ...(r.riskDetail ? { detail: r.riskDetail } : {}),
    ...(r.riskLastUpdatedDateTime ? { lastUpdated: r.riskLastUpdatedDateTime } : {}),
    ...(r.userPrincipalName ? { userPrincipalName: r.userPrincipalName } : {}),
    ...(r.userDisplayName ? { displayName: r.userDisplayName } : {}),
    ...(r.isDeleted ? { isDeleted: true } : {}),
  };
}

/** Turns Graph's 403 into the job's error that names the permission (and the licence where one is needed). */
function denied(e: unknown, route: string, permission: string, licenceRequired: boolean): never {
  if (isGraphError(e, 403)) throw new RiskAccessDenied(route, permission, licenceRequired);
  throw e;
}

export class GraphRiskReader implements RiskReader {
  constructor(private readonly graph: Graph) {}

  async riskOf(userId: string): Promise<RiskView> {
    try {
      const r = await this.graph.send<RiskyUser>(
        { method: 'GET', path: graphPath`/identityProtection/riskyUsers/${userId}` },
        [404],
      );
      if (r.status === 404 || !r.body) return { noRecord: true };
      const { id: _id, ...view } = riskyUserRecord(r.body);
      return view;
    } catch (e) {
      return denied(e, 'GET /identityProtection/riskyUsers/{id}', RISKY_USERS_PERMISSION, true);
    }
  }

  async *atRiskUsers(): AsyncIterable<readonly RiskyUserRecord[]> {
    try {
      for await (const page of this.graph.pages<RiskyUser>({
        method: 'GET',
        path: '/identityProtection/riskyUsers',
        query: { $filter: "riskState eq 'atRisk' or riskState eq 'confirmedCompromised'", $top: String(RISK_PAGE_SIZE) },
      }))
        yield page.value.map(riskyUserRecord);
    } catch (e) {
      denied(e, 'GET /identityProtection/riskyUsers', RISKY_USERS_PERMISSION, true);
    }
  }

  async *detectionsSince(since: string): AsyncIterable<readonly DetectionRecord[]> {
    try {
      for await (const page of this.graph.pages<RiskDetection>({
        method: 'GET',
        path: '/identityProtection/riskDetections',
        query: { $filter: `lastUpdatedDateTime ge ${since}`, $top: String(RISK_PAGE_SIZE) },
      }))
        yield page.value
          .filter((d) => d.userId)
          .map((d) => ({
            ...detectionFacts(d),
            userId: (d.userId ?? '').toLowerCase(),
            ...(d.userPrincipalName ? { userPrincipalName: d.userPrincipalName } : {}),
            ...(d.lastUpdatedDateTime ? { lastUpdatedDateTime: d.lastUpdatedDateTime } : {}),
          }));
    } catch (e) {
      denied(e, 'GET /identityProtection/riskDetections', RISK_DETECTIONS_PERMISSION, false);
    }
  }

  async recentDetections(userId: string, top: number): Promise<DetectionFacts[]> {
    try {
      const page = await this.graph.request<{ value?: RiskDetection[] }>({
        method: 'GET',
        path: '/identityProtection/riskDetections',
        query: { $filter: `userId eq '${userId}'`, $top: String(top) },
      });
      return (page.value ?? []).map(detectionFacts);
    } catch (e) {
      return denied(e, 'GET /identityProtection/riskDetections', RISK_DETECTIONS_PERMISSION, false);
    }
  }
}
