/**
 * Conditional Access policies, named locations and the authentication methods policy.
 */

import type {
  ConditionalAccessPolicy,
  CountryNamedLocation,
  IpNamedLocation,
  IPv4CidrRange,
} from '@microsoft/microsoft-graph-types';

import { DEMO_CA_POLICIES, DEMO_GROUPS, DEMO_NAMED_LOCATIONS, DEMO_USERS, ROLE_TEMPLATE_IDS } from '../demoIds';
import { BASE_MS, DAY, iso } from './random';
import { UNTRUSTED_COUNTRIES } from './reference';
import { type DemoTenantFile, type OData } from './types';

export const POLICY_CREATED = BASE_MS - 400 * DAY;

export function policy(
  ref: { id: string; displayName: string },
  state: ConditionalAccessPolicy['state'],
  ageDays: number,
  users: {
    includeUsers?: string[];
    excludeUsers?: string[];
    includeGroups?: string[];
    excludeGroups?: string[];
    includeRoles?: string[];
  },
  conditions: Partial<NonNullable<ConditionalAccessPolicy['conditions']>>,
  builtInControls: NonNullable<NonNullable<ConditionalAccessPolicy['grantControls']>['builtInControls']>,
): ConditionalAccessPolicy {
  return {
    id: ref.id,
    templateId: null,
    displayName: ref.displayName,
    createdDateTime: iso(POLICY_CREATED + ageDays * DAY),
    modifiedDateTime: iso(POLICY_CREATED + (ageDays + 30) * DAY),
    state,
    sessionControls: null,
    conditions: {
      userRiskLevels: [],
      signInRiskLevels: [],
      clientAppTypes: ['all'],
      servicePrincipalRiskLevels: [],
      platforms: null,
      locations: null,
      devices: null,
      clientApplications: null,
      applications: {
        includeApplications: ['All'],
        excludeApplications: [],
        includeUserActions: [],
        includeAuthenticationContextClassReferences: [],
        applicationFilter: null,
      },
      users: {
        includeUsers: users.includeUsers ?? [],
        excludeUsers: users.excludeUsers ?? [],
        includeGroups: users.includeGroups ?? [],
        excludeGroups: users.excludeGroups ?? [],
        includeRoles: users.includeRoles ?? [],
        excludeRoles: [],
        includeGuestsOrExternalUsers: null,
        excludeGuestsOrExternalUsers: null,
      },
      ...conditions,
    },
    grantControls: {
      operator: 'OR',
      builtInControls,
      customAuthenticationFactors: [],
      termsOfUse: [],
      authenticationStrength: null,
    },
  };
}

export const ADMIN_ROLES = [
  ROLE_TEMPLATE_IDS.globalAdministrator,
  ROLE_TEMPLATE_IDS.conditionalAccessAdministrator,
  ROLE_TEMPLATE_IDS.securityAdministrator,
  ROLE_TEMPLATE_IDS.userAdministrator,
  ROLE_TEMPLATE_IDS.authenticationAdministrator,
  ROLE_TEMPLATE_IDS.helpdeskAdministrator,
];

// eslint-disable-next-line max-lines-per-function -- a literal list of the demo tenant's policies, data rather than steps
export function buildPolicies(): ConditionalAccessPolicy[] {
  const bg = [DEMO_GROUPS.breakGlassExclusion.id];
  const apps = (includeApplications: string[]) => ({
    applications: {
      includeApplications,
      excludeApplications: [],
      includeUserActions: [],
      includeAuthenticationContextClassReferences: [],
      applicationFilter: null,
    },
  });
  return [
    // Excludes the break-glass accounts one by one rather than through the group: both forms count as excluded.
    policy(
      DEMO_CA_POLICIES.blockLegacyAuth,
      'enabled',
      0,
      { includeUsers: ['All'], excludeUsers: [DEMO_USERS.breakGlass1.id, DEMO_USERS.breakGlass2.id] },
      { clientAppTypes: ['exchangeActiveSync', 'other'] },
      ['block'],
    ),
    policy(DEMO_CA_POLICIES.mfaForAdmins, 'enabled', 2, { includeRoles: ADMIN_ROLES, excludeGroups: bg }, {}, ['mfa']),
    policy(
      DEMO_CA_POLICIES.compliantDevice,
      'enabled',
      40,
      {
        includeUsers: ['All'],
        excludeUsers: ['GuestsOrExternalUsers'],
        excludeGroups: [...bg, DEMO_GROUPS.temporaryExclusion.id],
      },
      { ...apps(['Office365']), clientAppTypes: ['browser', 'mobileAppsAndDesktopClients'] },
      ['compliantDevice'],
    ),
    policy(
      DEMO_CA_POLICIES.untrustedCountries,
      'enabled',
      60,
      { includeUsers: ['All'], excludeGroups: bg },
      { locations: { includeLocations: [DEMO_NAMED_LOCATIONS.untrustedCountries.id], excludeLocations: [] } },
      ['block'],
    ),
    policy(
      DEMO_CA_POLICIES.mfaAllUsersReportOnly,
      'enabledForReportingButNotEnforced',
      300,
      { includeUsers: ['All'], excludeGroups: bg },
      { locations: { includeLocations: ['All'], excludeLocations: ['AllTrusted'] } },
      ['mfa'],
    ),
    // Includes guests: their user risk lives in the home tenant, so they stay blocked with no way to remediate here.
    policy(
      DEMO_CA_POLICIES.blockHighUserRisk,
      'enabled',
      120,
      { includeUsers: ['All'], excludeGroups: bg },
      { userRiskLevels: ['high'] },
      ['block'],
    ),
    // Deliberately lacks the break-glass exclusion: the guard must report it.
    policy(DEMO_CA_POLICIES.signInRisk, 'enabled', 121, { includeUsers: ['All'] }, { signInRiskLevels: ['high', 'medium'] }, [
      'mfa',
    ]),
    policy(
      DEMO_CA_POLICIES.guestsTermsDisabled,
      'disabled',
      330,
      { includeUsers: ['GuestsOrExternalUsers'], excludeGroups: bg },
      {},
      ['mfa'],
    ),
  ];
}

export function buildNamedLocations(): (OData<IpNamedLocation> | OData<CountryNamedLocation>)[] {
  const range = (cidrAddress: string): OData<IPv4CidrRange> => ({ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress });
  return [
    {
      '@odata.type': '#microsoft.graph.ipNamedLocation',
      id: DEMO_NAMED_LOCATIONS.headquarters.id,
      displayName: DEMO_NAMED_LOCATIONS.headquarters.displayName,
      createdDateTime: iso(POLICY_CREATED - 10 * DAY),
      modifiedDateTime: iso(POLICY_CREATED - 10 * DAY),
      isTrusted: true,
      ipRanges: [range('203.0.113.0/24')],
    },
    {
      '@odata.type': '#microsoft.graph.countryNamedLocation',
      id: DEMO_NAMED_LOCATIONS.untrustedCountries.id,
      displayName: DEMO_NAMED_LOCATIONS.untrustedCountries.displayName,
      createdDateTime: iso(POLICY_CREATED + 55 * DAY),
      modifiedDateTime: iso(POLICY_CREATED + 200 * DAY),
      countriesAndRegions: [...UNTRUSTED_COUNTRIES],
      includeUnknownCountriesAndRegions: false,
      countryLookupMethod: 'clientIpAddress',
    },
    {
      '@odata.type': '#microsoft.graph.ipNamedLocation',
      id: DEMO_NAMED_LOCATIONS.branchOffices.id,
      displayName: DEMO_NAMED_LOCATIONS.branchOffices.displayName,
      createdDateTime: iso(POLICY_CREATED + 5 * DAY),
      modifiedDateTime: iso(POLICY_CREATED + 5 * DAY),
      isTrusted: false,
      ipRanges: [range('198.51.100.0/24')],
    },
  ];
}

export function buildAuthenticationMethodsPolicy(): DemoTenantFile['authenticationMethodsPolicy'] {
  return {
    id: 'authenticationMethodsPolicy',
    displayName: 'Authentication Methods Policy',
    description:
      'The tenant-wide policy that controls which authentication methods are allowed in the tenant, authentication method registration requirements, and self-service password reset settings',
    lastModifiedDateTime: iso(BASE_MS - 45 * DAY),
    policyVersion: '1.5',
    reconfirmationInDays: 0,
    registrationEnforcement: {
      authenticationMethodsRegistrationCampaign: {
        snoozeDurationInDays: 1,
        state: 'default',
        excludeTargets: [],
        includeTargets: [{ id: 'all_users', targetType: 'group', targetedAuthenticationMethod: 'microsoftAuthenticator' }],
      },
    },
    authenticationMethodConfigurations: [
      {
        '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration',
        id: 'TemporaryAccessPass',
        state: 'enabled',
        defaultLifetimeInMinutes: 60,
        defaultLength: 8,
        minimumLifetimeInMinutes: 60,
        maximumLifetimeInMinutes: 480,
        // One-time use only, as many tenants set it: the TAP API must refuse multi-use passes and name this setting.
        isUsableOnce: true,
        includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }],
        excludeTargets: [],
      },
      {
        '@odata.type': '#microsoft.graph.smsAuthenticationMethodConfiguration',
        id: 'Sms',
        state: 'enabled',
        includeTargets: [
          { targetType: 'group', id: DEMO_GROUPS.smsSignIn.id, isRegistrationRequired: false, isUsableForSignIn: true },
        ],
        excludeTargets: [],
      },
    ],
  };
}
