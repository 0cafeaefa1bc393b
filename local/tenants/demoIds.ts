/**
 * Well-known objects of the demo tenant (local/tenants/demo.json). The generator builds these objects with exactly these
 * ids, so docs, tests and benches can refer to them without reading the JSON. Everything else in the tenant is filled in
 * by a seeded PRNG and has stable, but not advertised, ids.
 */

export const DEMO_DOMAIN = 'contosodemo.onmicrosoft.com';

export const DEMO_TENANT = {
  id: 'af3a233d-48ae-44eb-9f64-a68e7d57a798',
  displayName: 'Contoso Demo',
  defaultDomain: DEMO_DOMAIN,
} as const;

/** Every date in the tenant is at or before this instant (sign-ins, risk, creation dates). */
export const DEMO_BASE_DATE = '2026-11-20T12:00:00Z';

/** Fixed ids Graph uses for the three phone method types (resources/phoneauthenticationmethod.md). */
export const PHONE_METHOD_IDS = {
  mobile: '3179e48a-750b-4051-897c-87b9720928f7',
  alternateMobile: 'b6332ec1-7057-4abe-9331-3d72feddfe41',
  office: 'e37fc753-ff3b-4958-9484-eaa9425c82bc',
} as const;

/** Directory role template ids (the same in every tenant). */
export const ROLE_TEMPLATE_IDS = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  conditionalAccessAdministrator: 'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9',
  securityAdministrator: '194ae4cb-b126-40b2-bd5b-6091b380977d',
  authenticationAdministrator: 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
  helpdeskAdministrator: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
} as const;

/** Licence SKUs (skuId) used in the tenant. */
export const SKU_IDS = {
  SPE_E3: '05e9a617-0261-4cee-bb44-138d3ef5d965',
  SPE_E5: '06ebc4ee-1bb5-47dd-8120-11324bc54e06',
  EMS_E3: 'efccb6f7-5641-4e0e-bd10-b4976e1bf68e',
  EXCHANGESTANDARD: '4b9405b0-7788-4568-add1-99614e613b69',
} as const;

/** Service plans (servicePlanId). AAD_PREMIUM and AAD_PREMIUM_P2 qualify a user for SMS sign-in. */
export const SERVICE_PLAN_IDS = {
  AAD_PREMIUM: '41781fb2-bc02-4b7c-bd55-b576c07bb09d',
  AAD_PREMIUM_P2: 'eec0eb4f-6444-4f95-aba0-50c24d67f998',
  EXCHANGE_S_STANDARD: '9aaf7827-d63c-4b61-89c3-182f06f82e5c',
  EXCHANGE_S_ENTERPRISE: 'efb87545-963c-4e0d-99df-69c6916d9eb0',
  MFA_PREMIUM: '8a256a2b-b617-496d-b51b-e76466e88db0',
  INTUNE_A: 'c1ec4a95-1f05-45b3-a911-aa3fa01094f5',
  TEAMS1: '57ff2da0-773e-42df-b2af-ffb7a2317929',
} as const;

export interface DemoUserRef {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
}

function member(id: string, displayName: string, alias: string): DemoUserRef {
  return { id, displayName, userPrincipalName: `${alias}@${DEMO_DOMAIN}` };
}

export const DEMO_USERS = {
  /** Cloud-only emergency accounts, Global Administrator, no licence, excluded from CA via `breakGlassExclusion`. */
  breakGlass1: member('62f746b4-84e6-4ceb-95bd-447e7184d454', 'Break Glass 1', 'breakglass1'),
  breakGlass2: member('b61e6ba5-3682-4dd6-b804-69b84b2d451c', 'Break Glass 2', 'breakglass2'),
  /** Global Administrator (SPE_E5). */
  globalAdmin: member('ec7ac8ad-1b2b-406b-aae1-2c972399d29d', 'Priya Raman', 'priya.raman'),
  /** Conditional Access Administrator. */
  conditionalAccessAdmin: member('dc36fc90-2248-4d70-aca4-a1a9f5b19f71', 'Tomas Herrera', 'tomas.herrera'),
  /** Security Administrator. */
  securityAdmin: member('e500bddf-37b0-4307-8f0f-4c3c2052e52b', 'Grace Okafor', 'grace.okafor'),
  /** Authentication Administrator; also in the role-assignable helpdesk group. */
  authenticationAdmin: member('54a5054c-da2e-4003-9e0e-14ca778e6176', 'Lukas Becker', 'lukas.becker'),
  /** User Administrator. */
  userAdmin: member('8c0a70a7-a845-47f9-953a-5154281fa6f5', 'Mei Lin', 'mei.lin'),
  /** Frontline worker in the SMS group, EMS E3, mobile `+1 4255550100` with smsSignInState `ready`. */
  smsReady: member('0db317d9-4c8e-4fa3-969a-73bf4c83cf3b', 'Rosa Delgado', 'rosa.delgado'),
  /** Frontline worker in the SMS group, EMS E3, no phone method yet (a CSV import target). */
  smsNoPhone: member('939ae232-588e-4bce-b71e-d78a1dc02e27', 'Omar Haddad', 'omar.haddad'),
  /** Frontline worker in the SMS group with only EXCHANGE_S_STANDARD (no qualifying licence), no phone method. */
  exchangeOnly: member('5e571eaa-66c1-44e7-8859-90d2e844c762', 'Kofi Mensah', 'kofi.mensah'),
  /** Holds mobile `+1 4255550199`, ready for SMS sign-in. */
  duplicatePhoneA: member('5df6f817-b099-4bcf-a0ec-6db25097c040', 'Ella Novak', 'ella.novak'),
  /** Holds the same mobile as duplicatePhoneA: smsSignInState `phoneNumberNotUnique`. */
  duplicatePhoneB: member('8c3f846c-c6a9-42d3-83f8-4c485e5c4176', 'Sam Patel', 'sam.patel'),
  /** Has failed sign-ins with 53000 (DeviceNotCompliant) from "Require compliant device for Office 365". */
  deviceNotCompliant: member('3af9f30c-5a66-4477-bda9-d8c096d38ff5', 'Jonas Berg', 'jonas.berg'),
  /** Has failed sign-ins with 53003 from "Block access from untrusted countries". */
  countryBlocked: member('baa2919c-0ded-47bb-bec0-c9226ed91f2e', 'Chloe Martin', 'chloe.martin'),
  /** riskyUser: high, atRisk, with detections. */
  riskyHigh: member('9ce4aa5f-0b47-42d2-9e05-c9906be994f2', 'Daniel Kim', 'daniel.kim'),
  /** riskyUser: high, confirmedCompromised. */
  confirmedCompromised: member('50d00787-862a-43db-851b-ec1ede27387c', 'Laura Rossi', 'laura.rossi'),
  /** riskyUser: none, remediated (userPerformedSecuredPasswordReset). */
  remediated: member('7a8d9ccd-7582-429f-bac5-26d3d4381551', 'Ethan Brooks', 'ethan.brooks'),
  /** Guest (Fabrikam) blocked by "Block high user risk": the seed's home-tenant risk problem. */
  riskyGuest: {
    id: '670c5891-45d2-4c06-a206-02e0fc80fa6f',
    displayName: 'Nina Alvarez',
    userPrincipalName: `nina.alvarez_fabrikam.com#EXT#@${DEMO_DOMAIN}`,
  } as DemoUserRef,
  /** Guest (Adatum) who has not redeemed the invitation (externalUserState PendingAcceptance). */
  pendingGuest: {
    id: 'bce1cb34-00e2-47d7-9eda-7e46a386c4a7',
    displayName: 'Marco Bianchi',
    userPrincipalName: `marco.bianchi_adatum.com#EXT#@${DEMO_DOMAIN}`,
  } as DemoUserRef,
  /** Has a one-time TAP that was already used (methodUsabilityReason OneTimeUsed): the seed's TAP error. */
  tapOneTimeUsed: member('7592b89f-f910-468a-baee-bb48936b7ac2', 'Sofia Costa', 'sofia.costa'),
  /** Member of "CA - Exclude - Temporary". */
  temporaryExclusion: member('a9cc2ff7-4eaf-4d61-8434-d99c09ff7f0c', 'Ben Carter', 'ben.carter'),
  /** Disabled leaver, still a member of Group1Name. */
  disabledLeaver: member('944782d7-3418-42c5-9b24-10a6f0ae1284', 'Oliver Grant', 'oliver.grant'),
  /** Synced from on-premises AD (onPremisesSyncEnabled true). */
  onPremSynced: member('101379c7-d2ab-4d67-8074-a6442ba33d67', 'Aisha Khan', 'aisha.khan'),
  /** Sales manager in Group1Name; sponsor of several guests. */
  salesManager: member('543bcfbb-c9f2-4a8a-9ecf-958027801375', 'Liam Walsh', 'liam.walsh'),
} as const;

export const DEMO_GROUPS = {
  /** The seed's source group: 40 direct members (36 enabled members, 2 disabled, 2 guests). */
  group1Name: { id: '6d84cc79-5636-4be9-b859-93a74865d3ee', displayName: 'Group1Name' },
  /** The seed's destination group: empty. */
  group2Name: { id: 'fe2fbd72-0bdc-45d3-860b-ed79214119cf', displayName: 'Group2Name' },
  breakGlassExclusion: { id: '04948682-4233-4b55-bff9-59b7c7fda173', displayName: 'CA - Exclude - Break Glass' },
  temporaryExclusion: { id: '2ccd5f71-12fc-4e59-b1e9-f4fd46b1f9d2', displayName: 'CA - Exclude - Temporary' },
  /** Targeted by the SMS authentication method policy (isUsableForSignIn true). */
  smsSignIn: { id: '1404cd3a-ec32-4b3b-837b-1bf3b938eca4', displayName: 'SMS sign-in users' },
  /** Dynamic `(user.userType -eq "Guest")`: the seed's fix for the guest user-risk problem. */
  guestsDynamic: { id: '603ae5da-4663-4a99-a910-fc8d0f06e36b', displayName: 'Dynamic - All Guests' },
  /** Dynamic `user.department -eq "Sales"`. */
  salesDynamic: { id: 'd4ae6af5-fb68-4b68-bda0-39233dde8fcb', displayName: 'Dynamic - Sales' },
  /** Dynamic with a retired memberOf rule over the Sales and Marketing department groups. */
  memberOfDynamic: { id: '5b391664-0d97-42c1-8fba-675d9f6d26b2', displayName: 'Dynamic - Sales and Marketing (memberOf)' },
  /** Large group: every user licensed with SPE_E3 (group-based licensing style). */
  largeE3: { id: 'e8948dc3-22aa-46fe-8d5f-eb548d301caf', displayName: 'Licensing - Microsoft 365 E3' },
  /** Nesting: nestedTop > nestedAmericas > nestedUsField, nestedTop > nestedEmea. */
  nestedTop: { id: '5d0991e0-0822-48e7-adee-d7391ee6db62', displayName: 'All Regions' },
  nestedAmericas: { id: '8b21ea85-2a84-4829-b7c3-de4c02228d48', displayName: 'Region - Americas' },
  nestedEmea: { id: 'c199c0a9-8a62-4ac1-bac0-cddb0346ce06', displayName: 'Region - EMEA' },
  nestedUsField: { id: '4ca8c324-a8eb-42f1-a27d-239fdf8adf39', displayName: 'Region - Americas - US Field' },
  /** onPremisesSyncEnabled true: membership is mastered in AD. */
  onPremSynced: { id: 'd9fb18e8-eef6-4ac4-88b6-350eedd03c87', displayName: 'SG-OnPrem-Finance-FileShare' },
  /** Mail-enabled security group (Exchange-mastered). */
  mailEnabledSecurity: { id: 'f7572dd8-8f18-4e53-a895-bc4380f485ea', displayName: 'Finance Approvers' },
  /** Distribution group (mailEnabled, not securityEnabled). */
  distribution: { id: '95814675-5260-4ba9-9362-3b53b93e295f', displayName: 'Sales Announcements' },
  /** Microsoft 365 group (groupTypes Unified). */
  unified: { id: 'dde5a881-1aaf-4366-8999-f49576886726', displayName: 'Project Falcon' },
  /** isAssignableToRole true; holds the Helpdesk Administrator role. */
  roleAssignable: { id: '1007e910-f9a8-4ab8-99b3-43bb8a01f57a', displayName: 'Role - Helpdesk Administrators' },
  /** Members of every kind: users, devices, service principals. */
  devicesAndApps: { id: 'e4d3921a-724a-47f6-a518-182b5e200159', displayName: 'Kiosk Devices and Apps' },
} as const;

/** One security group per department, named `Dept - <department>`. */
export const DEMO_DEPARTMENT_GROUPS = {
  Sales: '2936be1a-54e6-4454-a922-5a7d3e21b31d',
  Marketing: '9e6a1947-d757-42ef-8e5c-6000c6e5ff4d',
  Finance: '54a8dc38-bf76-4314-8480-6bd0e15b72c2',
  'Human Resources': '49469a5e-6b91-46e7-a45c-8f2d7e2d1302',
  IT: 'cb9b515f-e4ec-4f0d-be03-0f59e5e5b240',
  Engineering: '479dd02e-5974-4f6b-8eeb-4467a5c46004',
  Operations: 'a35ffc5b-8ba0-40f1-8dfe-d74b768c6714',
  Legal: 'cac858bb-4cca-438c-ae2d-3c616fb35c13',
  'Customer Support': 'e465b1f1-ac59-47b6-8861-f3a5f201da49',
  'Retail Operations': '2d9cf439-699f-462a-942a-4dafff35f810',
} as const;

export type DemoDepartment = keyof typeof DEMO_DEPARTMENT_GROUPS;

export const DEMO_CA_POLICIES = {
  blockLegacyAuth: { id: '08d01bfe-b36f-4c48-8fee-8d493ce468a1', displayName: 'Block legacy authentication' },
  mfaForAdmins: { id: 'a15f09c8-58b8-413f-8ef5-b163cef350e7', displayName: 'Require MFA for admins' },
  /** Fails sign-ins with 53000 DeviceNotCompliant. */
  compliantDevice: { id: '04a0a7d3-d3f1-4773-a6e3-5f4b2b1522b8', displayName: 'Require compliant device for Office 365' },
  /** Fails sign-ins with 53003 BlockedByConditionalAccess; uses the untrusted-countries named location. */
  untrustedCountries: { id: '6c5421f1-8059-43ee-b2ec-b7d90a6fd693', displayName: 'Block access from untrusted countries' },
  /** enabledForReportingButNotEnforced. */
  mfaAllUsersReportOnly: { id: '45b58f3a-807d-4f89-bece-2523375277c6', displayName: 'Require MFA for all users' },
  /** Includes All users, guests too, and no guest exclusion: the seed's guest problem. */
  blockHighUserRisk: { id: '6a84e8d5-9c52-409c-b051-06492ef18a65', displayName: 'Block high user risk' },
  /** The one policy that does NOT exclude the break-glass accounts (the break-glass guard's violation). */
  signInRisk: { id: '7ead13ff-d66b-4b4d-b47a-e101068189f4', displayName: 'Sign-in risk policy' },
  /** state disabled. */
  guestsTermsDisabled: { id: 'cd64fb1e-a953-4ae2-afa8-a1efb8ea1882', displayName: 'Require MFA for guests (pilot)' },
} as const;

export const DEMO_NAMED_LOCATIONS = {
  /** ipNamedLocation, isTrusted, 203.0.113.0/24. */
  headquarters: { id: '655f32b3-afe1-4f01-a9a0-9cb03b63cd5f', displayName: 'Contoso HQ' },
  /** countryNamedLocation used by "Block access from untrusted countries". */
  untrustedCountries: { id: 'c0edbe71-8c34-4fa1-9574-3f591f4ee209', displayName: 'Untrusted countries' },
  /** ipNamedLocation, not trusted, 198.51.100.0/24. */
  branchOffices: { id: 'e3f6673c-bf50-49a6-a61b-850051799876', displayName: 'Branch offices' },
} as const;

/** Numbers in Graph's `+{country} {number}` form held by the well-known users. */
export const DEMO_PHONES = {
  smsReadyMobile: '+1 4255550100',
  duplicateMobile: '+1 4255550199',
} as const;
