/**
 * Authentication methods: phone methods in Graph's `+{country} {number}` form (fictional ranges only: NANP 555-01xx,
 * Ofcom 07700 900xxx, ACMA 0491 570xxx, ARCEP 06 39 98xx xx) and Temporary Access Passes.
 */

import type { PhoneAuthenticationMethod, TemporaryAccessPassAuthenticationMethod } from '@microsoft/microsoft-graph-types';

import { DEMO_PHONES, DEMO_USERS, PHONE_METHOD_IDS } from '../demoIds';
import { BASE_MS, DAY, HOUR, iso, MINUTE, type Prng } from './random';
import { type Country, type Person, SMS_QUALIFYING } from './reference';

export class PhoneBook {
  private readonly counters = new Map<string, number>();
  private readonly reserved = new Set<string>([DEMO_PHONES.smsReadyMobile, DEMO_PHONES.duplicateMobile]);
  constructor(private readonly rnd: Prng) {}

  next(country: Country): string | null {
    for (let attempt = 0; attempt < 50; attempt++) {
      const n = this.bump(country);
      const number = this.format(country, n);
      if (number === null) return null;
      if (!this.reserved.has(number)) {
        this.reserved.add(number);
        return number;
      }
    }
    return null;
  }

  private bump(key: string): number {
    const n = this.counters.get(key) ?? 0;
    this.counters.set(key, n + 1);
    return n;
  }

  private format(country: Country, n: number): string | null {
    switch (country) {
      case 'US': {
        const areas = ['425', '206', '312', '646', '617', '512'];
        const area = areas[Math.floor(n / 100) % areas.length] ?? '425';
        return `+1 ${area}55501${String(n % 100).padStart(2, '0')}`;
      }
      case 'CA': {
        const area = n < 100 ? '416' : '604';
        return `+1 ${area}55501${String(n % 100).padStart(2, '0')}`;
      }
      case 'GB':
        return `+44 7700900${String(n % 1000).padStart(3, '0')}`;
      case 'AU':
        return `+61 491570${String(100 + (n % 900)).padStart(3, '0')}`;
      case 'FR':
        return `+33 63998${String(n % 10000).padStart(4, '0')}`;
      case 'DE':
        // No published fictional mobile range for Germany; German users get no phone numbers.
        return null;
    }
  }

  officeExtension(): string {
    return `x${this.rnd.int(1000, 9999)}`;
  }
}

export function buildPhoneMethods(rnd: Prng, people: Person[]): Record<string, PhoneAuthenticationMethod[]> {
  const book = new PhoneBook(rnd);
  const out: Record<string, PhoneAuthenticationMethod[]> = {};
  const mobile = (
    phoneNumber: string,
    smsSignInState: PhoneAuthenticationMethod['smsSignInState'],
  ): PhoneAuthenticationMethod => ({
    id: PHONE_METHOD_IDS.mobile,
    phoneNumber,
    phoneType: 'mobile',
    smsSignInState,
  });
  out[DEMO_USERS.smsReady.id] = [mobile(DEMO_PHONES.smsReadyMobile, 'ready')];
  out[DEMO_USERS.duplicatePhoneA.id] = [mobile(DEMO_PHONES.duplicateMobile, 'ready')];
  out[DEMO_USERS.duplicatePhoneB.id] = [mobile(DEMO_PHONES.duplicateMobile, 'phoneNumberNotUnique')];

  const skip = new Set<string>([
    DEMO_USERS.smsReady.id,
    DEMO_USERS.duplicatePhoneA.id,
    DEMO_USERS.duplicatePhoneB.id,
    DEMO_USERS.smsNoPhone.id,
    DEMO_USERS.exchangeOnly.id,
    DEMO_USERS.breakGlass1.id,
    DEMO_USERS.breakGlass2.id,
  ]);
  for (const p of people) {
    if (skip.has(p.id)) continue;
    const inSmsGroup = p.department === 'Retail Operations';
    const share = p.kind === 'guest' ? 0.1 : inSmsGroup ? 0.75 : 0.37;
    if (!rnd.chance(share)) continue;
    const country: Country = p.country ?? 'US';
    const number = book.next(country);
    if (number === null) continue;
    const state: PhoneAuthenticationMethod['smsSignInState'] =
      inSmsGroup && SMS_QUALIFYING.has(p.licence) ? (rnd.chance(0.8) ? 'ready' : 'notEnabled') : 'notAllowedByPolicy';
    const methods = [mobile(number, state)];
    if (rnd.chance(0.15)) {
      const alt = book.next(country);
      if (alt !== null)
        methods.push({
          id: PHONE_METHOD_IDS.alternateMobile,
          phoneNumber: alt,
          phoneType: 'alternateMobile',
          smsSignInState: 'notSupported',
        });
    }
    if (p.kind === 'member' && !inSmsGroup && rnd.chance(0.15)) {
      const office = book.next(country);
      if (office !== null)
        methods.push({
          id: PHONE_METHOD_IDS.office,
          phoneNumber: `${office}${book.officeExtension()}`,
          phoneType: 'office',
          smsSignInState: 'notSupported',
        });
    }
    out[p.id] = methods;
  }
  return out;
}

export function buildTaps(rnd: Prng, members: Person[]): Record<string, TemporaryAccessPassAuthenticationMethod[]> {
  const usedAt = BASE_MS - 26 * HOUR;
  const expiredUser = rnd.pick(members.filter((p) => p.department === 'Customer Support' && p.enabled));
  const expiredStart = BASE_MS - 5 * DAY;
  return {
    // The seed's case: a one-time TAP already used, so the next sign-in is "blocked due to User Credential Policy".
    [DEMO_USERS.tapOneTimeUsed.id]: [
      {
        id: rnd.guid(),
        temporaryAccessPass: null,
        createdDateTime: iso(usedAt - 10 * MINUTE),
        startDateTime: iso(usedAt - 10 * MINUTE),
        lifetimeInMinutes: 480,
        isUsableOnce: true,
        isUsable: false,
        methodUsabilityReason: 'OneTimeUsed',
      },
    ],
    [expiredUser.id]: [
      {
        id: rnd.guid(),
        temporaryAccessPass: null,
        createdDateTime: iso(expiredStart),
        startDateTime: iso(expiredStart),
        lifetimeInMinutes: 60,
        isUsableOnce: false,
        isUsable: false,
        methodUsabilityReason: 'Expired',
      },
    ],
  };
}
