/**
 * Sign-ins: the sign-in log, with the Conditional Access results, failures and risk the demo's stories need.
 */

import type {
  AppliedConditionalAccessPolicy,
  Device,
  RiskEventType,
  SignIn,
  SignInLocation,
} from '@microsoft/microsoft-graph-types';

import { DEMO_CA_POLICIES, DEMO_DOMAIN, DEMO_USERS } from '../demoIds';
import { BASE_MS, iso, MINUTE, type Prng } from './random';
import { type Person, PLACES, UNTRUSTED_COUNTRIES } from './reference';
import { type RiskLevel, type RiskySignInSeed } from './risk';

export interface App {
  id: string;
  name: string;
  resourceId: string;
  resource: string;
  office365: boolean;
}

export const APPS: readonly App[] = [
  {
    id: '00000002-0000-0ff1-ce00-000000000000',
    name: 'Office 365 Exchange Online',
    resourceId: '00000002-0000-0ff1-ce00-000000000000',
    resource: 'Office 365 Exchange Online',
    office365: true,
  },
  {
    id: '1fec8e78-bce4-4aaf-ab1b-5451cc387264',
    name: 'Microsoft Teams',
    resourceId: '00000003-0000-0000-c000-000000000000',
    resource: 'Microsoft Graph',
    office365: true,
  },
  {
    id: '00000003-0000-0ff1-ce00-000000000000',
    name: 'Office 365 SharePoint Online',
    resourceId: '00000003-0000-0ff1-ce00-000000000000',
    resource: 'Office 365 SharePoint Online',
    office365: true,
  },
  {
    id: 'd3590ed6-52b3-4102-aeff-aad2292ab01c',
    name: 'Microsoft Office',
    resourceId: '00000003-0000-0000-c000-000000000000',
    resource: 'Microsoft Graph',
    office365: true,
  },
];
export const AZURE_PORTAL: App = {
  id: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
  name: 'Azure Portal',
  resourceId: '797f4846-ba00-4fd7-ba43-dac1f8f63013',
  resource: 'Windows Azure Service Management API',
  office365: false,
};

export const FAILURES = {
  53003: {
    reason: 'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
    details: null,
  },
  53000: {
    reason:
      'Device is not in required device state: {state}. Conditional Access policy requires a compliant device, and the device is not compliant. The user must enroll their device with an approved MDM provider like Intune.',
    details:
      "The device is not compliant with the organization's policies. Enroll the device in Intune or make it compliant, then try again.",
  },
  50126: {
    reason: 'Error validating credentials due to invalid username or password.',
    details:
      "The user didn't enter the right credentials. It's expected to see some number of these errors in your logs due to users making mistakes.",
  },
  50057: { reason: 'User account is disabled. The account has been disabled by an administrator.', details: null },
  50053: {
    reason: 'Account is locked because user tried to sign in too many times with an incorrect user ID or password.',
    details: null,
  },
} as const;

export interface SignInScenario {
  person: Person;
  at: number;
  app: App;
  client: 'Browser' | 'Mobile Apps and Desktop clients' | 'Exchange ActiveSync' | 'IMAP4' | 'Authenticated SMTP';
  place: SignInLocation;
  ipAddress: string;
  compliant: boolean;
  preAuthError?: 50126 | 50057 | 50053;
  userRiskHigh: boolean;
  signInRisk: RiskLevel;
  risky?: RiskySignInSeed;
}

/** The PRNG draws every scenario shares: when, where from, which app and client, which device. */
class SignInDraws {
  private readonly corpDevice = new Map<string, { deviceId: string; displayName: string; operatingSystem: string }>();
  private readonly kiosk: Device | undefined;

  constructor(
    readonly rnd: Prng,
    readonly adminIds: ReadonlySet<string>,
    readonly highRisk: ReadonlySet<string>,
    devices: readonly Device[],
  ) {
    this.kiosk = devices[0];
  }

  deviceFor(p: Person, compliant: boolean): NonNullable<SignIn['deviceDetail']> {
    if (!compliant) {
      return {
        deviceId: '',
        displayName: null,
        operatingSystem: this.rnd.pick(['MacOs', 'Android', 'Windows10', 'Ios']),
        browser: this.rnd.pick(['Chrome 131.0.0', 'Safari 18.1', 'Firefox 132.0']),
        isCompliant: false,
        isManaged: false,
        trustType: null,
      };
    }
    if (p.department === 'Retail Operations' && this.kiosk) {
      return {
        deviceId: this.kiosk.deviceId ?? '',
        displayName: this.kiosk.displayName ?? null,
        operatingSystem: 'Windows10',
        browser: 'Edge 131.0.0',
        isCompliant: true,
        isManaged: true,
        trustType: 'Azure AD joined',
      };
    }
    let d = this.corpDevice.get(p.id);
    if (!d) {
      d = {
        deviceId: this.rnd.guid(),
        displayName: `CTSO-${this.rnd.int(10000, 99999)}`,
        operatingSystem: this.rnd.chance(0.8) ? 'Windows10' : 'MacOs',
      };
      this.corpDevice.set(p.id, d);
    }
    return {
      ...d,
      browser: 'Edge 131.0.0',
      isCompliant: true,
      isManaged: true,
      trustType: d.operatingSystem === 'Windows10' ? 'Azure AD joined' : null,
    };
  }

  placeOf(p: Person): { place: SignInLocation; ipAddress: string } {
    if (p.kind === 'guest')
      return { place: this.rnd.pick([PLACES.US, PLACES.GB, PLACES.NL]), ipAddress: `198.51.100.${this.rnd.int(10, 250)}` };
    const country = p.country ?? 'US';
    // HQ staff sign in from the trusted HQ range; everyone else from branch/home addresses.
    const atHq = country === 'US' && p.office === 'Seattle' && this.rnd.chance(0.7);
    return {
      place: PLACES[country],
      ipAddress: atHq ? `203.0.113.${this.rnd.int(10, 250)}` : `198.51.100.${this.rnd.int(10, 250)}`,
    };
  }

  when(): number {
    return BASE_MS - this.rnd.int(5, 7 * 24 * 60) * MINUTE - this.rnd.int(0, 59) * 1000;
  }
  base(p: Person, at = this.when()): SignInScenario {
    const { place, ipAddress } = this.placeOf(p);
    const app = this.adminIds.has(p.id) && this.rnd.chance(0.4) ? AZURE_PORTAL : this.rnd.pick(APPS);
    return {
      person: p,
      at,
      app,
      client: this.rnd.chance(0.6) ? 'Browser' : 'Mobile Apps and Desktop clients',
      place,
      ipAddress,
      compliant: p.kind === 'member',
      userRiskHigh: this.highRisk.has(p.id),
      signInRisk: 'none',
    };
  }
}

export function buildSignIns(
  rnd: Prng,
  people: Person[],
  byId: Map<string, Person>,
  devices: Device[],
  riskySignIns: RiskySignInSeed[],
  highRisk: ReadonlySet<string>,
): SignIn[] {
  const adminIds = new Set(people.filter((p) => p.admin).map((p) => p.id));
  const bgMembers = new Set<string>([DEMO_USERS.breakGlass1.id, DEMO_USERS.breakGlass2.id]);
  const tempExcluded = new Set<string>([DEMO_USERS.temporaryExclusion.id]);
  const draws = new SignInDraws(rnd, adminIds, highRisk, devices);
  const get = (id: string): Person => {
    const p = byId.get(id);
    if (!p) throw new Error(`unknown person ${id}`);
    return p;
  };
  const stories = storyScenarios(draws, riskySignIns, highRisk, get);
  // Filled up to 200 sign-ins in all.
  const scenarios = [...stories, ...backgroundScenarios(draws, people, bgMembers, stories.length)];
  const deviceFor = (p: Person, compliant: boolean) => draws.deviceFor(p, compliant);
  const signIns = scenarios.map((s) => toSignIn(rnd, s, adminIds, bgMembers, tempExcluded, deviceFor));
  signIns.sort((a, b) => String(b.createdDateTime).localeCompare(String(a.createdDateTime)));
  return signIns;
}

/** The sign-ins the demo's stories need: risky ones, Conditional Access blocks, a break-glass sign-in. */
function storyScenarios(
  d: SignInDraws,
  riskySignIns: readonly RiskySignInSeed[],
  highRisk: ReadonlySet<string>,
  get: (id: string) => Person,
): SignInScenario[] {
  const out: SignInScenario[] = [];
  // Risky sign-ins carry the detection's request and correlation ids.
  for (const r of riskySignIns) {
    const p = get(r.userId);
    out.push({
      ...d.base(p, r.at),
      place: r.place,
      ipAddress: r.ipAddress,
      compliant: false,
      userRiskHigh: highRisk.has(p.id) && r.riskState !== 'remediated',
      signInRisk: r.riskLevel,
      risky: r,
    });
  }
  // 53000: personal, unmanaged device against "Require compliant device for Office 365".
  for (let i = 0; i < 4; i++) {
    out.push({ ...d.base(get(DEMO_USERS.deviceNotCompliant.id)), app: d.rnd.pick(APPS), compliant: false, client: 'Browser' });
  }
  out.push(d.base(get(DEMO_USERS.deviceNotCompliant.id)));
  // 53003: "Block access from untrusted countries".
  for (let i = 0; i < 3; i++) {
    out.push({ ...d.base(get(DEMO_USERS.countryBlocked.id)), place: PLACES.RU, ipAddress: `192.0.2.${d.rnd.int(10, 250)}` });
  }
  out.push(d.base(get(DEMO_USERS.countryBlocked.id)));
  // Guest blocked by the user-risk policy (risk computed in the home tenant).
  for (let i = 0; i < 3; i++) out.push(d.base(get(DEMO_USERS.riskyGuest.id)));
  for (const id of highRisk) {
    if (id !== DEMO_USERS.riskyGuest.id) out.push(d.base(get(id)));
  }
  // Break-glass: a single monitored sign-in.
  out.push({
    ...d.base(get(DEMO_USERS.breakGlass1.id)),
    app: AZURE_PORTAL,
    compliant: false,
    place: PLACES.US,
    ipAddress: '203.0.113.10',
  });

  return out;
}

/** Everyday traffic: legacy protocols, unmanaged devices, wrong passwords, disabled accounts, guests, then filler up to 200. */
function backgroundScenarios(
  d: SignInDraws,
  people: readonly Person[],
  bgMembers: ReadonlySet<string>,
  storyCount: number,
): SignInScenario[] {
  const out: SignInScenario[] = [];
  const enabledMembers = people.filter((p) => p.kind === 'member' && p.enabled && !bgMembers.has(p.id));
  const disabledMembers = people.filter((p) => p.kind === 'member' && !p.enabled);
  const acceptedGuests = people.filter((p) => p.kind === 'guest' && p.guestState === 'Accepted');
  // Legacy protocols blocked by "Block legacy authentication".
  for (const p of d.rnd.sample(enabledMembers, 5)) {
    out.push({
      ...d.base(p),
      app: APPS[0] as App,
      client: d.rnd.pick(['Exchange ActiveSync', 'IMAP4', 'Authenticated SMTP'] as const),
    });
  }
  for (const p of d.rnd.sample(enabledMembers, 6)) out.push({ ...d.base(p), compliant: false, app: d.rnd.pick(APPS) });
  for (const p of d.rnd.sample(enabledMembers, 8)) out.push({ ...d.base(p), preAuthError: 50126 });
  for (const p of d.rnd.sample(enabledMembers, 2)) out.push({ ...d.base(p), preAuthError: 50053 });
  for (const p of d.rnd.sample(disabledMembers, 3)) out.push({ ...d.base(p), preAuthError: 50057 });
  for (const p of d.rnd.sample(acceptedGuests, 8)) out.push({ ...d.base(p), app: APPS[2] as App });
  while (out.length + storyCount < 200) out.push(d.base(d.rnd.pick(enabledMembers)));

  return out;
}

// signIn.riskEventTypes is the deprecated closed enum; newer detections (passwordSpray) only appear in riskEventTypes_v2.
export const LEGACY_RISK_EVENT_TYPES: ReadonlySet<string> = new Set<RiskEventType>([
  'unlikelyTravel',
  'anonymizedIPAddress',
  'maliciousIPAddress',
  'unfamiliarFeatures',
  'malwareInfectedIPAddress',
  'suspiciousIPAddress',
  'leakedCredentials',
  'investigationsThreatIntelligence',
  'generic',
  'adminConfirmedUserCompromised',
  'mcasImpossibleTravel',
  'mcasSuspiciousInboxManipulationRules',
  'investigationsThreatIntelligenceSigninLinked',
  'maliciousIPAddressValidCredentialsBlockedIP',
]);

export function legacyRiskEventTypes(type: string): RiskEventType[] {
  return LEGACY_RISK_EVENT_TYPES.has(type) ? [type as RiskEventType] : [];
}

export function toSignIn(
  rnd: Prng,
  s: SignInScenario,
  adminIds: ReadonlySet<string>,
  breakGlass: ReadonlySet<string>,
  tempExcluded: ReadonlySet<string>,
  deviceFor: (p: Person, compliant: boolean) => NonNullable<SignIn['deviceDetail']>,
): SignIn {
  const p = s.person;
  const upn = p.kind === 'guest' ? `${p.alias}_${p.guestDomain ?? ''}#EXT#@${DEMO_DOMAIN}` : `${p.alias}@${DEMO_DOMAIN}`;
  const legacy = isLegacy(s);
  const mfaDone = !legacy && (adminIds.has(p.id) || s.place.countryOrRegion !== 'US' || rnd.chance(0.5));
  const applied =
    s.preAuthError === undefined
      ? appliedPolicies(s, {
          mfaDone,
          admin: adminIds.has(p.id),
          breakGlass: breakGlass.has(p.id),
          excluded: tempExcluded.has(p.id),
        })
      : [];
  const failed = applied.filter((a) => a.result === 'failure');
  const { errorCode, failureReason, additionalDetails } = failureOf(s, failed);
  const conditionalAccessStatus =
    failed.length > 0 ? 'failure' : applied.some((a) => a.result === 'success') ? 'success' : 'notApplied';

  const risky = s.risky;
  return {
    id: risky?.requestId ?? rnd.guid(),
    createdDateTime: iso(s.at),
    userDisplayName: `${p.given} ${p.surname}`,
    userPrincipalName: upn,
    userId: p.id,
    appId: s.app.id,
    appDisplayName: s.app.name,
    ipAddress: s.ipAddress,
    clientAppUsed: s.client,
    correlationId: risky?.correlationId ?? rnd.guid(),
    conditionalAccessStatus,
    isInteractive: true,
    riskDetail: risky ? risky.riskDetail : 'none',
    riskLevelAggregated: risky ? risky.riskLevel : 'none',
    riskLevelDuringSignIn: risky ? risky.riskLevel : 'none',
    riskState: risky ? risky.riskState : 'none',
    riskEventTypes: risky ? legacyRiskEventTypes(risky.riskEventType) : [],
    riskEventTypes_v2: risky ? [risky.riskEventType] : [],
    resourceDisplayName: s.app.resource,
    resourceId: s.app.resourceId,
    status: { errorCode, failureReason, additionalDetails },
    deviceDetail: deviceFor(p, s.compliant),
    location: s.place,
    appliedConditionalAccessPolicies: applied,
  };
}

const isLegacy = (s: SignInScenario): boolean =>
  s.client === 'Exchange ActiveSync' || s.client === 'IMAP4' || s.client === 'Authenticated SMTP';

/** What each Conditional Access policy did to a sign-in that got past the password. */
function appliedPolicies(
  s: SignInScenario,
  who: { mfaDone: boolean; admin: boolean; breakGlass: boolean; excluded: boolean },
): AppliedConditionalAccessPolicy[] {
  const p = s.person;
  const { mfaDone } = who;
  const legacy = isLegacy(s);
  const isBg = who.breakGlass;
  const guest = p.kind === 'guest';
  const applied: AppliedConditionalAccessPolicy[] = [];
  const add = (ref: { id: string; displayName: string }, result: string, enforcedGrantControls: string[] = []): void => {
    applied.push({
      id: ref.id,
      displayName: ref.displayName,
      enforcedGrantControls,
      enforcedSessionControls: [],
      result: result as AppliedConditionalAccessPolicy['result'],
    });
  };
  add(DEMO_CA_POLICIES.blockLegacyAuth, legacy && !isBg ? 'failure' : 'notApplied', legacy && !isBg ? ['Block'] : []);
  const adminApplies = who.admin && !isBg;
  add(
    DEMO_CA_POLICIES.mfaForAdmins,
    adminApplies ? (mfaDone ? 'success' : 'failure') : 'notApplied',
    adminApplies ? ['Mfa'] : [],
  );
  const deviceApplies = s.app.office365 && !legacy && !guest && !isBg && !who.excluded;
  add(
    DEMO_CA_POLICIES.compliantDevice,
    deviceApplies ? (s.compliant ? 'success' : 'failure') : 'notApplied',
    deviceApplies ? ['RequireCompliantDevice'] : [],
  );
  const countryBlocked = UNTRUSTED_COUNTRIES.includes(s.place.countryOrRegion ?? '') && !isBg;
  add(DEMO_CA_POLICIES.untrustedCountries, countryBlocked ? 'failure' : 'notApplied', countryBlocked ? ['Block'] : []);
  const trusted = s.ipAddress.startsWith('203.0.113.');
  const reportOnlyApplies = !isBg && !trusted;
  add(
    DEMO_CA_POLICIES.mfaAllUsersReportOnly,
    reportOnlyApplies ? (mfaDone ? 'reportOnlySuccess' : 'reportOnlyFailure') : 'reportOnlyNotApplied',
    reportOnlyApplies ? ['Mfa'] : [],
  );
  const userRiskBlock = s.userRiskHigh && !isBg;
  add(DEMO_CA_POLICIES.blockHighUserRisk, userRiskBlock ? 'failure' : 'notApplied', userRiskBlock ? ['Block'] : []);
  const signInRiskApplies = s.signInRisk === 'medium' || s.signInRisk === 'high';
  add(
    DEMO_CA_POLICIES.signInRisk,
    signInRiskApplies ? (mfaDone ? 'success' : 'failure') : 'notApplied',
    signInRiskApplies ? ['Mfa'] : [],
  );
  add(DEMO_CA_POLICIES.guestsTermsDisabled, 'notEnabled');
  return applied;
}

/** The sign-in's error: a password-stage failure, else the first Conditional Access failure by kind. */
function failureOf(
  s: SignInScenario,
  failed: readonly AppliedConditionalAccessPolicy[],
): { errorCode: number; failureReason: string | null; additionalDetails: string | null } {
  let errorCode = 0;
  let failureReason: string | null = null;
  let additionalDetails: string | null = null;
  if (s.preAuthError !== undefined) {
    errorCode = s.preAuthError;
    failureReason = FAILURES[s.preAuthError].reason;
    additionalDetails = FAILURES[s.preAuthError].details;
  } else if (failed.some((a) => a.enforcedGrantControls?.includes('Block'))) {
    errorCode = 53003;
    failureReason = FAILURES[53003].reason;
    additionalDetails = FAILURES[53003].details;
  } else if (failed.some((a) => a.enforcedGrantControls?.includes('RequireCompliantDevice'))) {
    errorCode = 53000;
    failureReason = FAILURES[53000].reason.replace('{state}', 'compliant');
    additionalDetails = FAILURES[53000].details;
  } else if (failed.length > 0) {
    errorCode = 50074;
    failureReason = 'Strong Authentication is required.';
    additionalDetails = 'The user was presented MFA but did not complete it.';
  }
  return { errorCode, failureReason, additionalDetails };
}
