/**
 * Users: the Graph `user` objects for members (licences, on-premises sync facts) and guests (invitation state).
 */

import type { AssignedLicense, AssignedPlan, User } from '@microsoft/microsoft-graph-types';

import { DEMO_DOMAIN, SERVICE_PLAN_IDS } from '../demoIds';
import { BASE_MS, DAY, HOUR, iso, MINUTE, type Prng } from './random';
import { LICENCE_PLANS, LICENCE_SKUS, type Person, PLAN_SERVICE } from './reference';

export function mailNickname(displayName: string): string {
  return displayName.replace(/[^A-Za-z0-9]+/g, '');
}

export function toUser(p: Person, rnd: Prng): User {
  return p.kind === 'guest' ? toGuestUser(p, rnd) : toMemberUser(p, rnd);
}

/** An invited guest: UPN in the `#EXT#` form, invitation state, no licences. */
function toGuestUser(p: Person, rnd: Prng): User {
  const displayName = `${p.given} ${p.surname}`;
  const domain = p.guestDomain ?? 'fabrikam.com';
  const mail = `${p.alias}@${domain}`;
  return {
    id: p.id,
    businessPhones: [],
    displayName,
    givenName: p.given,
    surname: p.surname,
    userPrincipalName: `${p.alias}_${domain}#EXT#@${DEMO_DOMAIN}`,
    mail,
    otherMails: [mail],
    jobTitle: null,
    department: null,
    companyName: companyOf(domain),
    officeLocation: null,
    mobilePhone: null,
    preferredLanguage: null,
    usageLocation: null,
    accountEnabled: p.enabled,
    userType: 'Guest',
    createdDateTime: iso(p.created),
    creationType: 'Invitation',
    externalUserState: p.guestState ?? 'Accepted',
    externalUserStateChangeDateTime: iso(p.created + (p.guestState === 'Accepted' ? rnd.int(1, 48) * HOUR : 0)),
    onPremisesSyncEnabled: null,
    assignedLicenses: [],
    assignedPlans: [],
  };
}

/** A member: licences with their plans, and the on-premises facts of a synced account. */
function toMemberUser(p: Person, rnd: Prng): User {
  const displayName = `${p.given} ${p.surname}`;
  const assigned = p.created + rnd.int(0, 5) * DAY;
  const assignedLicenses: AssignedLicense[] = LICENCE_SKUS[p.licence].map((skuId) => ({ skuId, disabledPlans: [] }));
  const assignedPlans: AssignedPlan[] = LICENCE_PLANS[p.licence].map((plan) => ({
    assignedDateTime: iso(assigned),
    capabilityStatus: 'Enabled',
    service: PLAN_SERVICE[plan],
    servicePlanId: SERVICE_PLAN_IDS[plan],
  }));
  const upn = `${p.alias}@${DEMO_DOMAIN}`;
  const user: User = {
    id: p.id,
    businessPhones: [],
    displayName,
    givenName: p.department ? p.given : null,
    surname: p.department ? p.surname : null,
    userPrincipalName: upn,
    mail: p.licence === 'NONE' ? null : upn,
    otherMails: [],
    jobTitle: p.jobTitle,
    department: p.department,
    companyName: p.department ? 'Contoso Demo' : null,
    officeLocation: p.office,
    mobilePhone: null,
    preferredLanguage: p.country === 'FR' ? 'fr-FR' : p.country === 'DE' ? 'de-DE' : p.country ? 'en-US' : null,
    usageLocation: p.country,
    accountEnabled: p.enabled,
    userType: 'Member',
    createdDateTime: iso(p.created),
    creationType: null,
    externalUserState: null,
    externalUserStateChangeDateTime: null,
    onPremisesSyncEnabled: p.synced ? true : null,
    assignedLicenses,
    assignedPlans,
  };
  if (p.synced) {
    Object.assign(user, {
      onPremisesDomainName: 'corp.contosodemo.com',
      onPremisesSamAccountName: p.alias.replace('.', '').slice(0, 20),
      onPremisesImmutableId: Buffer.from(p.id.replace(/-/g, ''), 'hex').toString('base64'),
      onPremisesLastSyncDateTime: iso(BASE_MS - 25 * MINUTE),
      onPremisesSecurityIdentifier: `S-1-5-21-3623811015-3361044348-30300820-${rnd.int(10000, 99999)}`,
    } satisfies Partial<User>);
  }
  return user;
}

export function companyOf(domain: string): string {
  const names: Record<string, string> = {
    'fabrikam.com': 'Fabrikam',
    'adatum.com': 'Adatum',
    'tailspintoys.com': 'Tailspin Toys',
    'wingtiptoys.com': 'Wingtip Toys',
    'northwindtraders.com': 'Northwind Traders',
    'litware.com': 'Litware',
    'woodgrovebank.com': 'Woodgrove Bank',
  };
  return names[domain] ?? domain;
}
