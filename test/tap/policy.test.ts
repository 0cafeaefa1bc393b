import { describe, expect, it } from 'vitest';

import { decideTap, type TapPolicy, type TapTargetFacts } from '../../shared/tap/policy';

const policy = (over: Partial<TapPolicy> = {}): TapPolicy => ({
  state: 'enabled',
  isUsableOnce: false,
  defaultLifetimeInMinutes: 60,
  minimumLifetimeInMinutes: 60,
  maximumLifetimeInMinutes: 480,
  includeTargets: ['all_users'],
  excludeTargets: [],
  ...over,
});
const member: TapTargetFacts = { externalGuest: false, memberOfTargets: new Set() };
const now = new Date('2026-12-02T12:00:00Z');

describe('decideTap', () => {
  it('defaults to one hour and multi-use when the policy allows it', () => {
    expect(decideTap(policy(), member, {}, now)).toEqual({ ok: true, plan: { lifetimeInMinutes: 60, isUsableOnce: false } });
  });

  it('defaults to one-time when the policy forces it, and refuses multi-use naming isUsableOnce', () => {
    expect(decideTap(policy({ isUsableOnce: true }), member, {}, now)).toMatchObject({ ok: true, plan: { isUsableOnce: true } });
    const refused = decideTap(policy({ isUsableOnce: true }), member, { isUsableOnce: false }, now);
    expect(refused).toMatchObject({ ok: false, refusal: { code: 'TAP_MULTI_USE_NOT_ALLOWED' } });
    expect(!refused.ok && refused.refusal.setting).toContain('isUsableOnce');
  });

  it('moves the default inside a policy whose minimum is above an hour', () => {
    const p = policy({ minimumLifetimeInMinutes: 120, maximumLifetimeInMinutes: 240 });
    expect(decideTap(p, member, {}, now)).toMatchObject({ ok: true, plan: { lifetimeInMinutes: 120 } });
  });

  it('refuses lifetimes outside the policy bounds', () => {
    for (const lifetimeInMinutes of [30, 481]) {
      expect(decideTap(policy(), member, { lifetimeInMinutes }, now)).toMatchObject({
        ok: false,
        refusal: { code: 'TAP_LIFETIME_OUT_OF_BOUNDS' },
      });
    }
  });

  it('refuses a disabled policy, an untargeted or excluded user and an external guest', () => {
    expect(decideTap(policy({ state: 'disabled' }), member, {}, now)).toMatchObject({ refusal: { code: 'TAP_POLICY_DISABLED' } });
    expect(decideTap(policy({ includeTargets: ['g1'] }), member, {}, now)).toMatchObject({
      refusal: { code: 'TAP_USER_NOT_TARGETED' },
    });
    const inGroup: TapTargetFacts = { externalGuest: false, memberOfTargets: new Set(['g1']) };
    expect(decideTap(policy({ includeTargets: ['g1'] }), inGroup, {}, now)).toMatchObject({ ok: true });
    expect(decideTap(policy({ excludeTargets: ['g1'] }), inGroup, {}, now)).toMatchObject({
      refusal: { code: 'TAP_USER_NOT_TARGETED' },
    });
    expect(decideTap(policy(), { ...member, externalGuest: true }, {}, now)).toMatchObject({
      refusal: { code: 'TAP_EXTERNAL_GUEST' },
    });
  });

  it('accepts a start within 30 days and refuses one further ahead or already expired', () => {
    expect(decideTap(policy(), member, { startDateTime: '2026-12-03T08:00:00Z' }, now)).toMatchObject({
      ok: true,
      plan: { startDateTime: '2026-12-03T08:00:00.000Z' },
    });
    for (const startDateTime of ['2027-02-01T00:00:00Z', '2026-12-01T00:00:00Z']) {
      expect(decideTap(policy(), member, { startDateTime }, now)).toMatchObject({ refusal: { code: 'TAP_START_INVALID' } });
    }
  });
});
