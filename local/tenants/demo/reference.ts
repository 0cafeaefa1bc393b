/**
 * Reference data the collections draw on: names, departments, offices, places, licences, and the people record.
 */

import type { SignInLocation } from '@microsoft/microsoft-graph-types';

import { type DemoDepartment, type ROLE_TEMPLATE_IDS, type SERVICE_PLAN_IDS, SKU_IDS } from '../demoIds';

export const FIRST_NAMES = [
  'Adam',
  'Adele',
  'Ahmed',
  'Alan',
  'Alice',
  'Amara',
  'Ana',
  'Andrei',
  'Anna',
  'Arjun',
  'Beatriz',
  'Bianca',
  'Caleb',
  'Carlos',
  'Chen',
  'Chiara',
  'Claire',
  'Dana',
  'David',
  'Diego',
  'Elena',
  'Emil',
  'Emma',
  'Erik',
  'Fatima',
  'Felix',
  'Fiona',
  'Gabriel',
  'Hana',
  'Hugo',
  'Ian',
  'Ines',
  'Irene',
  'Isaac',
  'Ivan',
  'Jack',
  'James',
  'Jana',
  'Julia',
  'Kai',
  'Karen',
  'Kenji',
  'Lara',
  'Leo',
  'Lena',
  'Lucas',
  'Lucy',
  'Maria',
  'Mateo',
  'Maya',
  'Michael',
  'Mila',
  'Nadia',
  'Noah',
  'Nora',
  'Olivia',
  'Oscar',
  'Paul',
  'Pedro',
  'Quinn',
  'Rachel',
  'Rafael',
  'Ravi',
  'Rita',
  'Ruth',
  'Sara',
  'Sean',
  'Simone',
  'Sophie',
  'Stefan',
  'Tara',
  'Theo',
  'Uma',
  'Victor',
  'Wei',
  'Yara',
  'Yusuf',
  'Zoe',
] as const;

export const SURNAMES = [
  'Abbott',
  'Adams',
  'Ali',
  'Andersen',
  'Baker',
  'Bauer',
  'Bell',
  'Brown',
  'Campbell',
  'Chen',
  'Clarke',
  'Cohen',
  'Cruz',
  'Dubois',
  'Evans',
  'Fischer',
  'Fontaine',
  'Garcia',
  'Gomez',
  'Green',
  'Gupta',
  'Hall',
  'Hansen',
  'Hughes',
  'Ivanova',
  'Jensen',
  'Johnson',
  'Jones',
  'Kaur',
  'Keller',
  'Kowalski',
  'Larsen',
  'Lee',
  'Lopez',
  'Meyer',
  'Miller',
  'Moreau',
  'Morgan',
  'Muller',
  'Murphy',
  'Nakamura',
  'Nguyen',
  'Nielsen',
  'Park',
  'Perez',
  'Peters',
  'Price',
  'Reed',
  'Reyes',
  'Richter',
  'Roberts',
  'Rossi',
  'Sato',
  'Schneider',
  'Shah',
  'Silva',
  'Singh',
  'Smith',
  'Sousa',
  'Stewart',
  'Suzuki',
  'Tanaka',
  'Taylor',
  'Thomas',
  'Torres',
  'Turner',
  'Vargas',
  'Wagner',
  'Walker',
  'Wang',
  'Weber',
  'White',
  'Wilson',
  'Wong',
  'Wright',
  'Young',
  'Zhang',
] as const;

export interface DepartmentSpec {
  readonly size: number;
  readonly titles: readonly string[];
  readonly office: readonly string[];
}

export const DEPARTMENTS: Record<DemoDepartment, DepartmentSpec> = {
  Sales: {
    size: 45,
    titles: ['Account Executive', 'Sales Manager', 'Sales Development Representative', 'Regional Sales Director'],
    office: ['Seattle', 'London', 'Toronto', 'Paris'],
  },
  Marketing: {
    size: 25,
    titles: ['Marketing Specialist', 'Content Strategist', 'Product Marketing Manager', 'Marketing Director'],
    office: ['Seattle', 'London'],
  },
  Finance: {
    size: 25,
    titles: ['Accountant', 'Financial Analyst', 'Controller', 'Accounts Payable Clerk'],
    office: ['Seattle', 'Berlin'],
  },
  'Human Resources': {
    size: 15,
    titles: ['HR Generalist', 'Recruiter', 'HR Business Partner', 'Payroll Specialist'],
    office: ['Seattle'],
  },
  IT: {
    size: 20,
    titles: ['Systems Administrator', 'Identity Engineer', 'Service Desk Analyst', 'IT Manager', 'Security Analyst'],
    office: ['Seattle', 'London'],
  },
  Engineering: {
    size: 45,
    titles: ['Software Engineer', 'Senior Software Engineer', 'Engineering Manager', 'QA Engineer', 'Site Reliability Engineer'],
    office: ['Seattle', 'Sydney', 'Berlin'],
  },
  Operations: {
    size: 25,
    titles: ['Operations Analyst', 'Logistics Coordinator', 'Operations Manager', 'Procurement Specialist'],
    office: ['Seattle', 'Toronto'],
  },
  Legal: { size: 10, titles: ['Corporate Counsel', 'Paralegal', 'Compliance Officer'], office: ['Seattle', 'London'] },
  'Customer Support': {
    size: 20,
    titles: ['Support Engineer', 'Customer Success Manager', 'Support Team Lead'],
    office: ['Seattle', 'Sydney'],
  },
  'Retail Operations': {
    size: 38,
    titles: ['Store Associate', 'Shift Supervisor', 'Stock Associate', 'Store Manager'],
    office: ['Store 012 Seattle', 'Store 031 Toronto', 'Store 044 London', 'Store 057 Sydney'],
  },
};

export type Country = 'US' | 'CA' | 'GB' | 'AU' | 'FR' | 'DE';

export const OFFICE_COUNTRY: Record<string, Country> = {
  Seattle: 'US',
  London: 'GB',
  Toronto: 'CA',
  Paris: 'FR',
  Berlin: 'DE',
  Sydney: 'AU',
  'Store 012 Seattle': 'US',
  'Store 031 Toronto': 'CA',
  'Store 044 London': 'GB',
  'Store 057 Sydney': 'AU',
};

export const PLACES: Record<Country | 'RU' | 'NL', SignInLocation> = {
  US: {
    city: 'Seattle',
    state: 'Washington',
    countryOrRegion: 'US',
    geoCoordinates: { altitude: null, latitude: 47.6062, longitude: -122.3321 },
  },
  CA: {
    city: 'Toronto',
    state: 'Ontario',
    countryOrRegion: 'CA',
    geoCoordinates: { altitude: null, latitude: 43.6532, longitude: -79.3832 },
  },
  GB: {
    city: 'London',
    state: 'England',
    countryOrRegion: 'GB',
    geoCoordinates: { altitude: null, latitude: 51.5072, longitude: -0.1276 },
  },
  AU: {
    city: 'Sydney',
    state: 'New South Wales',
    countryOrRegion: 'AU',
    geoCoordinates: { altitude: null, latitude: -33.8688, longitude: 151.2093 },
  },
  FR: {
    city: 'Paris',
    state: 'Ile-de-France',
    countryOrRegion: 'FR',
    geoCoordinates: { altitude: null, latitude: 48.8566, longitude: 2.3522 },
  },
  DE: {
    city: 'Berlin',
    state: 'Berlin',
    countryOrRegion: 'DE',
    geoCoordinates: { altitude: null, latitude: 52.52, longitude: 13.405 },
  },
  RU: {
    city: 'Moscow',
    state: 'Moscow',
    countryOrRegion: 'RU',
    geoCoordinates: { altitude: null, latitude: 55.7558, longitude: 37.6173 },
  },
  NL: {
    city: 'Amsterdam',
    state: 'North Holland',
    countryOrRegion: 'NL',
    geoCoordinates: { altitude: null, latitude: 52.3676, longitude: 4.9041 },
  },
};

export const UNTRUSTED_COUNTRIES = ['RU', 'KP', 'IR', 'BY'];

export const GUEST_DOMAINS = [
  'fabrikam.com',
  'adatum.com',
  'tailspintoys.com',
  'wingtiptoys.com',
  'northwindtraders.com',
  'litware.com',
  'woodgrovebank.com',
] as const;

export type Licence = 'E5' | 'E3' | 'EMS_EXO' | 'EXO' | 'NONE';

export const LICENCE_SKUS: Record<Licence, string[]> = {
  E5: [SKU_IDS.SPE_E5],
  E3: [SKU_IDS.SPE_E3],
  EMS_EXO: [SKU_IDS.EMS_E3, SKU_IDS.EXCHANGESTANDARD],
  EXO: [SKU_IDS.EXCHANGESTANDARD],
  NONE: [],
};

export const PLAN_SERVICE: Record<keyof typeof SERVICE_PLAN_IDS, string> = {
  AAD_PREMIUM: 'AADPremiumService',
  AAD_PREMIUM_P2: 'AADPremiumService',
  EXCHANGE_S_STANDARD: 'exchange',
  EXCHANGE_S_ENTERPRISE: 'exchange',
  MFA_PREMIUM: 'MultiFactorService',
  INTUNE_A: 'SCO',
  TEAMS1: 'TeamspaceAPI',
};

export const LICENCE_PLANS: Record<Licence, (keyof typeof SERVICE_PLAN_IDS)[]> = {
  E5: ['AAD_PREMIUM', 'AAD_PREMIUM_P2', 'MFA_PREMIUM', 'EXCHANGE_S_ENTERPRISE', 'INTUNE_A', 'TEAMS1'],
  E3: ['AAD_PREMIUM', 'MFA_PREMIUM', 'EXCHANGE_S_ENTERPRISE', 'INTUNE_A', 'TEAMS1'],
  EMS_EXO: ['AAD_PREMIUM', 'MFA_PREMIUM', 'INTUNE_A', 'EXCHANGE_S_STANDARD'],
  EXO: ['EXCHANGE_S_STANDARD'],
  NONE: [],
};

/** Licences that carry AAD_PREMIUM or AAD_PREMIUM_P2, the plans SMS sign-in needs. */
export const SMS_QUALIFYING: ReadonlySet<Licence> = new Set<Licence>(['E5', 'E3', 'EMS_EXO']);

export interface Person {
  id: string;
  given: string;
  surname: string;
  alias: string;
  kind: 'member' | 'guest';
  department: DemoDepartment | null;
  jobTitle: string | null;
  office: string | null;
  country: Country | null;
  enabled: boolean;
  synced: boolean;
  licence: Licence;
  created: number;
  guestDomain?: string;
  guestState?: 'Accepted' | 'PendingAcceptance';
  admin?: keyof typeof ROLE_TEMPLATE_IDS;
}
