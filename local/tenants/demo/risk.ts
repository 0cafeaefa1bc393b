/**
 * Identity Protection: risky users, their risk detections, and the risky sign-ins the sign-in log shows for them.
 */

import type { RiskDetection, RiskyUser, SignInLocation } from '@microsoft/microsoft-graph-types';

import { DEMO_DOMAIN, DEMO_USERS } from '../demoIds';
import { BASE_MS, HOUR, iso, MINUTE, type Prng } from './random';
import { type Person, PLACES } from './reference';

export type RiskLevel = 'low' | 'medium' | 'high' | 'none';

export interface RiskySignInSeed {
  userId: string;
  at: number;
  requestId: string;
  correlationId: string;
  ipAddress: string;
  place: SignInLocation;
  riskEventType: string;
  riskLevel: RiskLevel;
  riskState: NonNullable<RiskyUser['riskState']>;
  riskDetail: NonNullable<RiskyUser['riskDetail']>;
}

export interface RiskCase {
  person: Person;
  level: RiskLevel;
  state: NonNullable<RiskyUser['riskState']>;
  detail: NonNullable<RiskyUser['riskDetail']>;
  types: string[];
}

export function buildRisk(
  rnd: Prng,
  members: Person[],
  guests: Person[],
): {
  riskyUsers: RiskyUser[];
  riskDetections: RiskDetection[];
  riskySignIns: RiskySignInSeed[];
  highRiskUserIds: string[];
} {
  const cases = riskCases(rnd, members, guests);
  const riskyUsers: RiskyUser[] = [];
  const riskDetections: RiskDetection[] = [];
  const riskySignIns: RiskySignInSeed[] = [];
  for (const c of cases) {
    let latest = 0;
    for (const [i, type] of c.types.entries()) {
      const facts = detectionFactsOf(rnd, c, type, i);
      latest = Math.max(latest, facts.lastUpdated);
      riskDetections.push(toDetection(rnd, c, facts));
      if (facts.requestId && facts.correlationId) {
        const { activityAt: at, requestId, correlationId, ipAddress, place, type: riskEventType, level: riskLevel } = facts;
        const seed = { userId: c.person.id, at, requestId, correlationId, ipAddress, place, riskEventType, riskLevel };
        riskySignIns.push({ ...seed, riskState: c.state, riskDetail: c.detail });
      }
    }
    riskyUsers.push({
      id: c.person.id,
      isDeleted: false,
      isProcessing: false,
      riskLastUpdatedDateTime: iso(latest),
      riskLevel: c.level,
      riskState: c.state,
      riskDetail: c.detail,
      userDisplayName: displayNameOf(c.person),
      userPrincipalName: upnOf(c.person),
    });
  }
  riskDetections.sort((a, b) => String(b.detectedDateTime).localeCompare(String(a.detectedDateTime)));
  const highRiskUserIds = cases
    .filter((c) => c.level === 'high' && (c.state === 'atRisk' || c.state === 'confirmedCompromised'))
    .map((c) => c.person.id);
  return { riskyUsers, riskDetections, riskySignIns, highRiskUserIds };
}

const upnOf = (p: Person): string =>
  p.kind === 'guest' ? `${p.alias}_${p.guestDomain ?? ''}#EXT#@${DEMO_DOMAIN}` : `${p.alias}@${DEMO_DOMAIN}`;
const displayNameOf = (p: Person): string => `${p.given} ${p.surname}`;

/** The risky users and what was detected for each: the well-known stories, then a few picked members and guests. */
function riskCases(rnd: Prng, members: Person[], guests: Person[]): RiskCase[] {
  const ordinary = members.filter(
    (p) => p.enabled && p.department && p.department !== 'IT' && !Object.values(DEMO_USERS).some((u) => u.id === p.id),
  );
  const extraMembers = rnd.sample(ordinary, 5);
  const extraGuests = rnd.sample(
    guests.filter((g) => g.guestState === 'Accepted' && g.id !== DEMO_USERS.riskyGuest.id),
    2,
  );
  const find = (id: string): Person => {
    const p = [...members, ...guests].find((x) => x.id === id);
    if (!p) throw new Error(`unknown person ${id}`);
    return p;
  };
  return [
    {
      person: find(DEMO_USERS.riskyHigh.id),
      level: 'high',
      state: 'atRisk',
      detail: 'none',
      types: ['leakedCredentials', 'unfamiliarFeatures'],
    },
    {
      person: find(DEMO_USERS.confirmedCompromised.id),
      level: 'high',
      state: 'confirmedCompromised',
      detail: 'adminConfirmedUserCompromised',
      types: ['anonymizedIPAddress', 'unlikelyTravel'],
    },
    {
      person: find(DEMO_USERS.remediated.id),
      level: 'none',
      state: 'remediated',
      detail: 'userPerformedSecuredPasswordReset',
      types: ['unfamiliarFeatures'],
    },
    {
      person: extraMembers[0] as Person,
      level: 'high',
      state: 'atRisk',
      detail: 'none',
      types: ['passwordSpray', 'anonymizedIPAddress'],
    },
    { person: extraMembers[1] as Person, level: 'medium', state: 'atRisk', detail: 'none', types: ['unfamiliarFeatures'] },
    { person: extraMembers[2] as Person, level: 'medium', state: 'atRisk', detail: 'none', types: ['anonymizedIPAddress'] },
    { person: extraMembers[3] as Person, level: 'low', state: 'atRisk', detail: 'none', types: ['unfamiliarFeatures'] },
    { person: extraMembers[4] as Person, level: 'low', state: 'atRisk', detail: 'none', types: ['maliciousIPAddress'] },
    {
      person: find(DEMO_USERS.riskyGuest.id),
      level: 'high',
      state: 'atRisk',
      detail: 'none',
      types: ['leakedCredentials', 'anonymizedIPAddress'],
    },
    { person: extraGuests[0] as Person, level: 'medium', state: 'atRisk', detail: 'none', types: ['unfamiliarFeatures'] },
    { person: extraGuests[1] as Person, level: 'low', state: 'atRisk', detail: 'none', types: ['anonymizedIPAddress'] },
  ];
}

interface DetectionDraw {
  readonly type: string;
  readonly level: RiskLevel;
  readonly offline: boolean;
  readonly signIn: boolean;
  readonly place: SignInLocation;
  readonly ipAddress: string;
  readonly requestId: string | null;
  readonly correlationId: string | null;
  readonly activityAt: number;
  readonly detectedAt: number;
  readonly lastUpdated: number;
}

/** When and where one detection happened (the PRNG draws, in the generator's fixed order). */
function detectionFactsOf(rnd: Prng, c: RiskCase, type: string, i: number): DetectionDraw {
  const activityAt = BASE_MS - rnd.int(6, 140) * HOUR - i * 3 * HOUR - rnd.int(0, 3599) * 1000;
  const offline = type === 'leakedCredentials' || type === 'passwordSpray' || type === 'maliciousIPAddress';
  const detectedAt = activityAt + (offline ? rnd.int(2, 20) * HOUR : rnd.int(1, 5) * MINUTE);
  const level: RiskLevel = c.level === 'none' ? 'medium' : type === 'leakedCredentials' ? 'high' : c.level;
  const signIn = type !== 'leakedCredentials';
  const anonymous = type === 'anonymizedIPAddress' || type === 'maliciousIPAddress' || type === 'passwordSpray';
  const place = anonymous ? PLACES.NL : PLACES[c.person.country ?? 'US'];
  const ipAddress = anonymous ? `192.0.2.${rnd.int(10, 250)}` : `198.51.100.${rnd.int(10, 250)}`;
  const requestId = signIn ? rnd.guid() : null;
  const correlationId = signIn ? rnd.guid() : null;
  const lastUpdated = c.state === 'atRisk' ? detectedAt : detectedAt + rnd.int(2, 30) * HOUR;
  return { type, level, offline, signIn, place, ipAddress, requestId, correlationId, activityAt, detectedAt, lastUpdated };
}

/** The Graph riskDetection for one draw. */
function toDetection(rnd: Prng, c: RiskCase, d: DetectionDraw): RiskDetection {
  const { type, signIn, offline, place, ipAddress, requestId, correlationId, activityAt, detectedAt, lastUpdated } = d;
  const detectionLevel = d.level;
  const displayName = displayNameOf(c.person);
  const upn = upnOf(c.person);
  return {
    id: rnd.guid().replace(/-/g, '').slice(0, 32),
    requestId,
    correlationId,
    riskEventType: type,
    riskState: c.state,
    riskLevel: detectionLevel,
    riskDetail: c.detail,
    source: 'IdentityProtection',
    detectionTimingType: offline ? 'offline' : 'realtime',
    activity: signIn ? 'signin' : 'user',
    tokenIssuerType: 'AzureAD',
    ipAddress: signIn ? ipAddress : null,
    location: signIn ? place : null,
    activityDateTime: iso(activityAt),
    detectedDateTime: iso(detectedAt),
    lastUpdatedDateTime: iso(lastUpdated),
    userId: c.person.id,
    userDisplayName: displayName,
    userPrincipalName: upn,
    additionalInfo: signIn
      ? JSON.stringify([
          {
            Key: 'userAgent',
            Value:
              'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
          },
        ])
      : JSON.stringify([{ Key: 'leakSource', Value: 'Dark web' }]),
  };
}
