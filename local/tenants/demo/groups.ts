/**
 * Groups of every kind sync has to cope with: assigned security groups, dynamic rules, nesting, on-premises synced,
 * mail-enabled, distribution, Microsoft 365, role-assignable, and groups holding devices and service principals.
 * Built in a fixed order: each group's dates draw from the PRNG after the draws that pick its members.
 */

import type { Device, ServicePrincipal } from '@microsoft/microsoft-graph-types';

import { DEMO_DEPARTMENT_GROUPS, DEMO_DOMAIN, DEMO_GROUPS, DEMO_USERS, type DemoDepartment } from '../demoIds';
import { BASE_MS, DAY, iso, MINUTE, type Prng } from './random';
import type { Person } from './reference';
import type { DemoGroup } from './types';
import { mailNickname } from './users';

/** The people and objects the groups draw their members from, and the one way to add a group. */
interface GroupContext {
  readonly add: (
    ref: { id: string; displayName: string },
    description: string,
    members: string[],
    extra?: Partial<DemoGroup>,
  ) => void;
  readonly rnd: Prng;
  readonly members: readonly Person[];
  readonly guests: readonly Person[];
  readonly memberIds: (pred: (p: Person) => boolean) => string[];
  readonly deptMembers: (d: DemoDepartment) => string[];
  readonly isSales: (p: Person) => boolean;
  readonly acceptedGuests: readonly Person[];
  readonly salesEnabled: readonly Person[];
  readonly wellKnownIds: ReadonlySet<string>;
  readonly devices: readonly Device[];
  readonly servicePrincipals: readonly ServicePrincipal[];
}

class GroupList {
  readonly groups: DemoGroup[] = [];
  constructor(private readonly rnd: Prng) {}

  add(ref: { id: string; displayName: string }, description: string, members: string[], extra: Partial<DemoGroup> = {}): void {
    this.groups.push({
      id: ref.id,
      deletedDateTime: null,
      classification: null,
      createdDateTime: iso(BASE_MS - this.rnd.int(60, 1500) * DAY),
      description,
      displayName: ref.displayName,
      groupTypes: [],
      isAssignableToRole: null,
      mail: null,
      mailEnabled: false,
      mailNickname: mailNickname(ref.displayName),
      membershipRule: null,
      membershipRuleProcessingState: null,
      onPremisesLastSyncDateTime: null,
      onPremisesSecurityIdentifier: null,
      onPremisesSyncEnabled: null,
      proxyAddresses: [],
      renewedDateTime: null,
      securityEnabled: true,
      securityIdentifier: `S-1-12-1-${this.rnd.int(1e9, 4e9)}-${this.rnd.int(1e9, 4e9)}-${this.rnd.int(1e9, 4e9)}-${this.rnd.int(1e9, 4e9)}`,
      visibility: null,
      ...extra,
      members,
    });
  }
}

export function buildGroups(
  rnd: Prng,
  people: readonly Person[],
  devices: readonly Device[],
  servicePrincipals: readonly ServicePrincipal[],
): DemoGroup[] {
  const list = new GroupList(rnd);
  const members = people.filter((p) => p.kind === 'member');
  const guests = people.filter((p) => p.kind === 'guest');
  const memberIds = (pred: (p: Person) => boolean): string[] => people.filter(pred).map((p) => p.id);
  const isSales = (p: Person): boolean => p.department === 'Sales';
  const ctx: GroupContext = {
    add: (ref, description, ids, extra) => list.add(ref, description, ids, extra),
    rnd,
    members,
    guests,
    memberIds,
    deptMembers: (d) => memberIds((p) => p.department === d),
    isSales,
    acceptedGuests: guests.filter((g) => g.guestState === 'Accepted' && g.id !== DEMO_USERS.riskyGuest.id),
    salesEnabled: members.filter((p) => isSales(p) && p.enabled),
    wellKnownIds: new Set<string>(Object.values(DEMO_USERS).map((u) => u.id)),
    devices,
    servicePrincipals,
  };
  for (const build of [coreGroups, smsAndDynamicGroups, nestedGroups, syncedAndMailGroups, teamAndRoleGroups]) build(ctx);
  return list.groups;
}

/** Group1 and Group2 from the admin notes, department groups, the Conditional Access exclusion groups. */
function coreGroups(ctx: GroupContext): void {
  const { add, rnd, members, deptMembers, acceptedGuests, wellKnownIds } = ctx;
  const salesAndMarketingEnabled = members.filter(
    (p) => (p.department === 'Sales' || p.department === 'Marketing') && p.enabled && p.id !== DEMO_USERS.salesManager.id,
  );
  const otherDisabled = members.filter((p) => !p.enabled && !wellKnownIds.has(p.id));
  add(DEMO_GROUPS.group1Name, 'Source group from the admin notes (copy members of Group1 to Group2).', [
    DEMO_USERS.salesManager.id,
    ...rnd.sample(salesAndMarketingEnabled, 35).map((p) => p.id),
    DEMO_USERS.disabledLeaver.id,
    rnd.pick(otherDisabled).id,
    ...rnd.sample(acceptedGuests, 2).map((p) => p.id),
  ]);
  add(DEMO_GROUPS.group2Name, 'Destination group from the admin notes; starts empty.', []);

  for (const department of Object.keys(DEMO_DEPARTMENT_GROUPS) as DemoDepartment[]) {
    add(
      { id: DEMO_DEPARTMENT_GROUPS[department], displayName: `Dept - ${department}` },
      `All members of the ${department} department.`,
      deptMembers(department),
    );
  }

  add(DEMO_GROUPS.breakGlassExclusion, 'Emergency access accounts. Excluded from every Conditional Access policy.', [
    DEMO_USERS.breakGlass1.id,
    DEMO_USERS.breakGlass2.id,
  ]);
  add(DEMO_GROUPS.temporaryExclusion, 'Temporary Conditional Access exclusions; entries expire.', [
    DEMO_USERS.temporaryExclusion.id,
    rnd.pick(members.filter((p) => p.department === 'Engineering' && p.enabled && !wellKnownIds.has(p.id))).id,
  ]);
}

/** The SMS sign-in group, dynamic groups (including a retired memberOf rule) and a large licensing group. */
function smsAndDynamicGroups(ctx: GroupContext): void {
  const { add, members, guests, memberIds, deptMembers, isSales } = ctx;
  const retail = members.filter((p) => p.department === 'Retail Operations');
  add(
    DEMO_GROUPS.smsSignIn,
    'Frontline workers allowed to sign in with SMS (targeted by the SMS authentication method policy).',
    retail.map((p) => p.id),
  );

  add(
    DEMO_GROUPS.guestsDynamic,
    'All guest users; excluded from user-risk policies (guest risk is evaluated in the home tenant).',
    guests.map((g) => g.id),
    {
      groupTypes: ['DynamicMembership'],
      membershipRule: '(user.userType -eq "Guest")',
      membershipRuleProcessingState: 'On',
    },
  );
  add(DEMO_GROUPS.salesDynamic, 'Everyone in Sales.', memberIds(isSales), {
    groupTypes: ['DynamicMembership'],
    membershipRule: 'user.department -eq "Sales"',
    membershipRuleProcessingState: 'On',
  });
  const salesOrMarketing = [...new Set([...deptMembers('Sales'), ...deptMembers('Marketing')])];
  add(
    DEMO_GROUPS.memberOfDynamic,
    'Members of the Sales and Marketing department groups (memberOf rule, retired by Microsoft).',
    salesOrMarketing,
    {
      groupTypes: ['DynamicMembership'],
      membershipRule: `user.memberof -any (group.objectId -in ['${DEMO_DEPARTMENT_GROUPS.Sales}', '${DEMO_DEPARTMENT_GROUPS.Marketing}'])`,
      membershipRuleProcessingState: 'On',
    },
  );
  add(
    DEMO_GROUPS.largeE3,
    'Users licensed with Microsoft 365 E3 (group-based licensing).',
    memberIds((p) => p.licence === 'E3'),
  );
}

/** Region groups that nest each other. */
function nestedGroups(ctx: GroupContext): void {
  const { add, rnd, members, isSales, salesEnabled } = ctx;
  add(
    DEMO_GROUPS.nestedUsField,
    'US field sales.',
    salesEnabled.filter((p) => p.country === 'US').map((p) => p.id),
  );
  add(DEMO_GROUPS.nestedAmericas, 'Americas region (nests US Field).', [
    DEMO_GROUPS.nestedUsField.id,
    ...members.filter((p) => p.enabled && p.country === 'CA' && (isSales(p) || p.department === 'Operations')).map((p) => p.id),
  ]);
  add(
    DEMO_GROUPS.nestedEmea,
    'EMEA region.',
    members
      .filter(
        (p) =>
          p.enabled &&
          (p.country === 'GB' || p.country === 'FR' || p.country === 'DE') &&
          (isSales(p) || p.department === 'Marketing'),
      )
      .map((p) => p.id),
  );
  add(DEMO_GROUPS.nestedTop, 'All regions (nests the region groups).', [
    DEMO_GROUPS.nestedAmericas.id,
    DEMO_GROUPS.nestedEmea.id,
    DEMO_USERS.salesManager.id,
    ...rnd
      .sample(
        members.filter((p) => p.enabled && p.jobTitle === 'Regional Sales Director'),
        2,
      )
      .map((p) => p.id),
  ]);
}

/** A group synced from Active Directory, a mail-enabled security group and a distribution list. */
function syncedAndMailGroups(ctx: GroupContext): void {
  const { add, rnd, members, salesEnabled } = ctx;
  const financeSynced = members.filter((p) => p.department === 'Finance' && p.synced);
  add(
    DEMO_GROUPS.onPremSynced,
    'Finance file share access (synced from Active Directory).',
    financeSynced.map((p) => p.id),
    {
      onPremisesSyncEnabled: true,
      onPremisesLastSyncDateTime: iso(BASE_MS - 25 * MINUTE),
      onPremisesSecurityIdentifier: `S-1-5-21-3623811015-3361044348-30300820-${rnd.int(2000, 9000)}`,
    },
  );
  add(
    DEMO_GROUPS.mailEnabledSecurity,
    'Approvers for purchase orders (mail-enabled security group, managed in Exchange).',
    rnd
      .sample(
        members.filter((p) => p.department === 'Finance' && p.enabled),
        8,
      )
      .map((p) => p.id),
    {
      mailEnabled: true,
      mail: `finance.approvers@${DEMO_DOMAIN}`,
      mailNickname: 'finance.approvers',
      proxyAddresses: [`SMTP:finance.approvers@${DEMO_DOMAIN}`],
    },
  );
  add(
    DEMO_GROUPS.distribution,
    'Sales announcements (distribution list).',
    salesEnabled.map((p) => p.id),
    {
      mailEnabled: true,
      securityEnabled: false,
      mail: `sales.announcements@${DEMO_DOMAIN}`,
      mailNickname: 'sales.announcements',
      proxyAddresses: [`SMTP:sales.announcements@${DEMO_DOMAIN}`],
      securityIdentifier: null,
    },
  );
}

/** A Microsoft 365 group, a role-assignable group, and a group of devices and service principals. */
function teamAndRoleGroups(ctx: GroupContext): void {
  const { add, rnd, members, acceptedGuests, devices, servicePrincipals } = ctx;
  add(
    DEMO_GROUPS.unified,
    'Project Falcon team.',
    [
      ...rnd
        .sample(
          members.filter((p) => p.enabled && (p.department === 'Engineering' || p.department === 'Marketing')),
          12,
        )
        .map((p) => p.id),
      ...rnd.sample(acceptedGuests, 1).map((p) => p.id),
    ],
    {
      groupTypes: ['Unified'],
      mailEnabled: true,
      securityEnabled: false,
      mail: `projectfalcon@${DEMO_DOMAIN}`,
      mailNickname: 'projectfalcon',
      proxyAddresses: [`SMTP:projectfalcon@${DEMO_DOMAIN}`],
      visibility: 'Private',
      renewedDateTime: iso(BASE_MS - 90 * DAY),
    },
  );
  add(
    DEMO_GROUPS.roleAssignable,
    'Holds the Helpdesk Administrator role (role-assignable).',
    [
      DEMO_USERS.authenticationAdmin.id,
      ...rnd
        .sample(
          members.filter((p) => p.department === 'IT' && p.enabled && !p.admin),
          3,
        )
        .map((p) => p.id),
    ],
    { isAssignableToRole: true },
  );
  add(DEMO_GROUPS.devicesAndApps, 'Kiosk devices, store apps and their owners.', [
    ...devices.map((d) => d.id ?? ''),
    ...servicePrincipals.map((s) => s.id ?? ''),
    DEMO_USERS.smsReady.id,
    DEMO_USERS.globalAdmin.id,
  ]);
}
