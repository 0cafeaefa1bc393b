/**
 * Guests blocked for their home tenant's risk: Graph shows them nowhere in this tenant's riskyUsers (their user risk
 * lives in the home tenant), only as failed sign-ins with error 53011 "User blocked due to risk on home tenant",
 * refused by this tenant's user-risk Conditional Access policy. Deterministic without the generator's PRNG, so adding
 * them changes nothing else in the demo tenant.
 */
import { createHash } from 'node:crypto';

import type { RiskyUser, SignIn, User } from '@microsoft/microsoft-graph-types';

import { DEMO_BASE_DATE, DEMO_CA_POLICIES } from './demoIds';

/** How many guests the demo blocks this way, and how many failed sign-ins each has. */
const BLOCKED_GUESTS = 3;
const SIGN_INS_EACH = 2;

const HOUR = 3_600_000;
const FAILURE_REASON = 'User blocked due to risk on home tenant.';

/** A GUID-shaped id from a seed string (stable across runs). */
function stableGuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Accepted guests with no riskyUser record, chosen by id order so the pick never depends on generation order. */
export function pickHomeTenantBlockedGuests(users: readonly User[], riskyUsers: readonly RiskyUser[]): User[] {
  const risky = new Set(riskyUsers.map((r) => r.id));
  return users
    .filter((u) => u.userType === 'Guest' && u.externalUserState === 'Accepted' && u.accountEnabled !== false && !risky.has(u.id))
    .sort((a, b) => (a.id ?? '').localeCompare(b.id ?? ''))
    .slice(0, BLOCKED_GUESTS);
}

export function homeTenantBlockSignIns(users: readonly User[], riskyUsers: readonly RiskyUser[]): SignIn[] {
  const base = Date.parse(DEMO_BASE_DATE);
  const policy = DEMO_CA_POLICIES.blockHighUserRisk;
  return pickHomeTenantBlockedGuests(users, riskyUsers).flatMap((u, g) =>
    Array.from({ length: SIGN_INS_EACH }, (_, i): SignIn => {
      const at = new Date(base - (6 + g * 11 + i * 5) * HOUR).toISOString().replace(/\.\d+Z$/, 'Z');
      return {
        id: stableGuid(`53011:${u.id ?? ''}:${i}`),
        createdDateTime: at,
        userDisplayName: u.displayName ?? null,
        userPrincipalName: u.userPrincipalName ?? null,
        userId: u.id ?? '',
        appId: '00000003-0000-0ff1-ce00-000000000000',
        appDisplayName: 'Office 365 SharePoint Online',
        ipAddress: `198.51.100.${40 + g * 10 + i}`,
        clientAppUsed: 'Browser',
        correlationId: stableGuid(`53011-correlation:${u.id ?? ''}:${i}`),
        conditionalAccessStatus: 'failure',
        isInteractive: true,
        // The home tenant's user risk is not reported in the resource tenant's log.
        riskDetail: 'none',
        riskLevelAggregated: 'none',
        riskLevelDuringSignIn: 'none',
        riskState: 'none',
        riskEventTypes: [],
        riskEventTypes_v2: [],
        resourceDisplayName: 'Office 365 SharePoint Online',
        resourceId: '00000003-0000-0ff1-ce00-000000000000',
        status: { errorCode: 53011, failureReason: FAILURE_REASON, additionalDetails: null },
        deviceDetail: {
          deviceId: '',
          displayName: null,
          operatingSystem: 'Windows10',
          browser: 'Edge 131.0.0',
          isCompliant: false,
          isManaged: false,
          trustType: null,
        },
        location: {
          city: 'London',
          state: 'England',
          countryOrRegion: 'GB',
          geoCoordinates: { altitude: null, latitude: 51.5072, longitude: -0.1276 },
        },
        appliedConditionalAccessPolicies: [
          {
            id: policy.id,
            displayName: policy.displayName,
            enforcedGrantControls: ['Block'],
            enforcedSessionControls: [],
            result: 'failure',
          },
        ],
      };
    }),
  );
}
