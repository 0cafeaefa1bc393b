/**
 * The people behind the users: well-known members first (fixed ids and facts the tests and stories name), then each
 * department filled to its size with generated members, some leavers disabled, then guests. The order of PRNG draws is
 * part of the output: change it and every later collection changes.
 */

import { DEMO_USERS, type DemoDepartment } from '../demoIds';
import { BASE_MS, DAY, type Prng } from './random';
import { DEPARTMENTS, FIRST_NAMES, GUEST_DOMAINS, type Licence, OFFICE_COUNTRY, type Person, SURNAMES } from './reference';

type KnownMember = readonly [
  { id: string; displayName: string; userPrincipalName: string },
  Partial<Person> & { department: DemoDepartment | null },
];

/** The well-known members, in the order they are created. */
const KNOWN_MEMBERS: readonly KnownMember[] = [
  [
    DEMO_USERS.breakGlass1,
    {
      department: null,
      jobTitle: null,
      office: null,
      country: null,
      licence: 'NONE',
      created: BASE_MS - 1400 * DAY,
      admin: 'globalAdministrator',
    },
  ],
  [
    DEMO_USERS.breakGlass2,
    {
      department: null,
      jobTitle: null,
      office: null,
      country: null,
      licence: 'NONE',
      created: BASE_MS - 1400 * DAY,
      admin: 'globalAdministrator',
    },
  ],
  [
    DEMO_USERS.globalAdmin,
    {
      department: 'IT',
      jobTitle: 'IT Manager',
      licence: 'E5',
      admin: 'globalAdministrator',
    },
  ],
  [
    DEMO_USERS.conditionalAccessAdmin,
    {
      department: 'IT',
      jobTitle: 'Identity Engineer',
      licence: 'E5',
      admin: 'conditionalAccessAdministrator',
    },
  ],
  [
    DEMO_USERS.securityAdmin,
    {
      department: 'IT',
      jobTitle: 'Security Analyst',
      licence: 'E5',
      office: 'London',
      admin: 'securityAdministrator',
    },
  ],
  [
    DEMO_USERS.authenticationAdmin,
    {
      department: 'IT',
      jobTitle: 'Service Desk Analyst',
      licence: 'E5',
      admin: 'authenticationAdministrator',
    },
  ],
  [
    DEMO_USERS.userAdmin,
    {
      department: 'IT',
      jobTitle: 'Systems Administrator',
      licence: 'E5',
      admin: 'userAdministrator',
    },
  ],
  [
    DEMO_USERS.smsReady,
    {
      department: 'Retail Operations',
      jobTitle: 'Store Associate',
      office: 'Store 012 Seattle',
      licence: 'EMS_EXO',
    },
  ],
  [
    DEMO_USERS.smsNoPhone,
    {
      department: 'Retail Operations',
      jobTitle: 'Stock Associate',
      office: 'Store 012 Seattle',
      licence: 'EMS_EXO',
    },
  ],
  [
    DEMO_USERS.exchangeOnly,
    {
      department: 'Retail Operations',
      jobTitle: 'Store Associate',
      office: 'Store 031 Toronto',
      licence: 'EXO',
    },
  ],
  [
    DEMO_USERS.duplicatePhoneA,
    {
      department: 'Retail Operations',
      jobTitle: 'Shift Supervisor',
      office: 'Store 012 Seattle',
      licence: 'EMS_EXO',
    },
  ],
  [
    DEMO_USERS.duplicatePhoneB,
    {
      department: 'Retail Operations',
      jobTitle: 'Store Associate',
      office: 'Store 012 Seattle',
      licence: 'EMS_EXO',
    },
  ],
  [
    DEMO_USERS.deviceNotCompliant,
    {
      department: 'Engineering',
      jobTitle: 'Software Engineer',
      office: 'Seattle',
      licence: 'E3',
    },
  ],
  [
    DEMO_USERS.countryBlocked,
    {
      department: 'Sales',
      jobTitle: 'Account Executive',
      office: 'Paris',
      licence: 'E3',
    },
  ],
  [
    DEMO_USERS.riskyHigh,
    {
      department: 'Finance',
      jobTitle: 'Financial Analyst',
      office: 'Seattle',
      licence: 'E3',
    },
  ],
  [
    DEMO_USERS.confirmedCompromised,
    {
      department: 'Marketing',
      jobTitle: 'Marketing Specialist',
      office: 'London',
      licence: 'E3',
    },
  ],
  [
    DEMO_USERS.remediated,
    {
      department: 'Operations',
      jobTitle: 'Operations Analyst',
      office: 'Toronto',
      licence: 'E3',
    },
  ],
  [
    DEMO_USERS.tapOneTimeUsed,
    {
      department: 'Human Resources',
      jobTitle: 'Recruiter',
      office: 'Seattle',
      licence: 'E3',
    },
  ],
  [
    DEMO_USERS.temporaryExclusion,
    {
      department: 'Engineering',
      jobTitle: 'Site Reliability Engineer',
      office: 'Sydney',
      licence: 'E3',
    },
  ],
  [
    DEMO_USERS.disabledLeaver,
    {
      department: 'Sales',
      jobTitle: 'Account Executive',
      office: 'Seattle',
      licence: 'NONE',
      enabled: false,
    },
  ],
  [
    DEMO_USERS.onPremSynced,
    {
      department: 'Finance',
      jobTitle: 'Accountant',
      office: 'Seattle',
      licence: 'E3',
      synced: true,
    },
  ],
  [DEMO_USERS.salesManager, { department: 'Sales', jobTitle: 'Sales Manager', office: 'Seattle', licence: 'E3' }],
];

/** Builds the people of the tenant; `usedAliases` keeps generated names unique. */
class People {
  readonly people: Person[] = [];
  private readonly usedAliases = new Set<string>();

  constructor(private readonly rnd: Prng) {}

  addKnownMember([ref, p]: KnownMember): void {
    const [given = ref.displayName, ...rest] = ref.displayName.split(' ');
    const alias = ref.userPrincipalName.split('@')[0] ?? '';
    this.usedAliases.add(alias);
    const department = p.department;
    const office = p.office ?? (department ? (DEPARTMENTS[department].office[0] ?? null) : null);
    this.people.push({
      id: ref.id,
      given,
      surname: rest.join(' '),
      alias,
      kind: 'member',
      jobTitle: department ? this.rnd.pick(DEPARTMENTS[department].titles) : null,
      office,
      country: office ? (OFFICE_COUNTRY[office] ?? 'US') : null,
      enabled: true,
      synced: false,
      licence: 'E3',
      created: BASE_MS - this.rnd.int(200, 1500) * DAY,
      ...p,
    });
  }

  newAlias(): [string, string, string] {
    for (;;) {
      const given = this.rnd.pick(FIRST_NAMES);
      const surname = this.rnd.pick(SURNAMES);
      const alias = `${given}.${surname}`.toLowerCase();
      if (!this.usedAliases.has(alias)) {
        this.usedAliases.add(alias);
        return [given, surname, alias];
      }
    }
  }

  licenceFor(department: DemoDepartment): Licence {
    if (department === 'IT' || department === 'Legal') return 'E5';
    const r = this.rnd.next();
    if (department === 'Retail Operations') return r < 0.7 ? 'EMS_EXO' : r < 0.9 ? 'EXO' : 'NONE';
    return r < 0.93 ? 'E3' : r < 0.96 ? 'EXO' : r < 0.98 ? 'EMS_EXO' : 'NONE';
  }

  /** Generated members until every department has its size. */
  fillDepartments(): void {
    for (const department of Object.keys(DEPARTMENTS) as DemoDepartment[]) {
      const spec = DEPARTMENTS[department];
      let count = this.people.filter((p) => p.department === department).length;
      while (count < spec.size) {
        const [given, surname, alias] = this.newAlias();
        const office = this.rnd.pick(spec.office);
        this.people.push({
          id: this.rnd.guid(),
          given,
          surname,
          alias,
          kind: 'member',
          department,
          jobTitle: this.rnd.pick(spec.titles),
          office,
          country: OFFICE_COUNTRY[office] ?? 'US',
          enabled: true,
          synced: department !== 'Retail Operations' && this.rnd.chance(0.25),
          licence: this.licenceFor(department),
          created: BASE_MS - this.rnd.int(30, 2000) * DAY,
        });
        count++;
      }
    }
  }

  /** Leavers: disabled accounts that still hold group memberships (what sync filters must cope with). */
  disableLeavers(): void {
    const wellKnownIds = new Set<string>(Object.values(DEMO_USERS).map((u) => u.id));
    const ordinaryMembers = this.people.filter((p) => !wellKnownIds.has(p.id));
    for (const p of this.rnd.sample(ordinaryMembers, 14)) {
      p.enabled = false;
      if (this.rnd.chance(0.5)) p.licence = 'NONE';
    }
  }

  addGuest(id: string, given: string, surname: string, domain: string, state: 'Accepted' | 'PendingAcceptance'): void {
    const alias = `${given}.${surname}`.toLowerCase();
    this.usedAliases.add(alias);
    this.people.push({
      id,
      given,
      surname,
      alias,
      kind: 'guest',
      department: null,
      jobTitle: null,
      office: null,
      country: null,
      enabled: true,
      synced: false,
      licence: 'NONE',
      created: BASE_MS - this.rnd.int(5, 700) * DAY,
      guestDomain: domain,
      guestState: state,
    });
  }

  addGuests(): void {
    this.addGuest(DEMO_USERS.riskyGuest.id, 'Nina', 'Alvarez', 'fabrikam.com', 'Accepted');
    this.addGuest(DEMO_USERS.pendingGuest.id, 'Marco', 'Bianchi', 'adatum.com', 'PendingAcceptance');
    for (let i = 0; i < 28; i++) {
      const [given, surname] = this.newAlias();
      // Arguments in this order: the PRNG draws are part of the output.
      const id = this.rnd.guid();
      const domain = this.rnd.pick(GUEST_DOMAINS);
      this.addGuest(id, given, surname, domain, this.rnd.chance(0.8) ? 'Accepted' : 'PendingAcceptance');
    }
  }
}

export function buildPeople(rnd: Prng): Person[] {
  const people = new People(rnd);
  for (const known of KNOWN_MEMBERS) people.addKnownMember(known);
  people.fillDepartments();
  people.disableLeavers();
  people.addGuests();
  return people.people;
}

/** About half of the guests have one or two sponsors. */
export function buildSponsors(rnd: Prng, members: readonly Person[], guests: readonly Person[]): Record<string, string[]> {
  const sponsors: Record<string, string[]> = {};
  const sponsorPool = members.filter((p) => p.enabled && p.department !== 'Retail Operations' && p.department !== null);
  for (const g of guests) {
    if (g.id === DEMO_USERS.riskyGuest.id) sponsors[g.id] = [DEMO_USERS.salesManager.id];
    else if (rnd.chance(0.5)) {
      sponsors[g.id] = rnd.chance(0.3) ? [DEMO_USERS.salesManager.id, rnd.pick(sponsorPool).id] : [rnd.pick(sponsorPool).id];
    }
  }
  return sponsors;
}
