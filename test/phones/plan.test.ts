import { describe, expect, it } from 'vitest';

import { hasSmsSignInLicence } from '../../shared/phones/licences';
import {
  type MethodsLookup,
  PHONE_METHOD_IDS,
  planRow,
  reconcileRetry,
  type SmsEligibility,
  smsEligibility,
  type UserLookup,
} from '../../shared/phones/plan';
import type { ValidRow } from '../../shared/phones/types';

const row = (over: Partial<ValidRow> = {}): ValidRow => ({
  line: 2,
  user: 'a@b.com',
  phoneNumber: '+1 4255550100',
  phoneType: 'mobile',
  enableSmsSignIn: false,
  ...over,
});
const user = (over: Partial<Extract<UserLookup, { kind: 'found' }>['user']> = {}): UserLookup => ({
  kind: 'found',
  user: { id: 'u1', userPrincipalName: 'a@b.com', userType: 'Member', accountEnabled: true, licensedForSmsSignIn: true, ...over },
});
const none: MethodsLookup = { ok: true, methods: [] };
const mobile = (phoneNumber: string, smsSignInState = 'notEnabled'): MethodsLookup => ({
  ok: true,
  methods: [{ id: PHONE_METHOD_IDS.mobile, phoneNumber, phoneType: 'mobile', smsSignInState }],
});
const opts = { overwrite: false, enableSmsWithoutLicence: false, dryRun: false };
const allowed: SmsEligibility = { kind: 'allowed' };

describe('planRow', () => {
  it('creates a missing mobile number', () => {
    const p = planRow(row(), user(), none, undefined, opts);
    expect(p).toMatchObject({
      outcome: { status: 'created', action: 'add mobile' },
      phoneWrite: { kind: 'create', methodId: PHONE_METHOD_IDS.mobile },
      enableSms: false,
    });
  });

  it('leaves an equal number alone', () => {
    expect(planRow(row(), user(), mobile('+1 425 555 0100'), undefined, opts)).toMatchObject({
      outcome: { status: 'unchanged', action: 'none' },
    });
  });

  it('reports a different number as a conflict when overwrite is off, masking the existing number', () => {
    const p = planRow(row(), user(), mobile('+1 4255559999'), undefined, opts);
    expect(p.outcome.status).toBe('conflict');
    expect(p.outcome.reason).toMatch(/PHONE_OVERWRITE/);
    expect(p.outcome.reason).not.toMatch(/5559999/);
    expect(p.phoneWrite).toBeUndefined();
  });

  it('updates a different number when overwrite is on', () => {
    expect(planRow(row(), user(), mobile('+1 4255559999'), undefined, { ...opts, overwrite: true })).toMatchObject({
      outcome: { status: 'updated' },
      phoneWrite: { kind: 'update', methodId: PHONE_METHOD_IDS.mobile },
    });
  });

  it('fails unknown users and skips disabled ones', () => {
    expect(planRow(row(), { kind: 'notFound' }, undefined, undefined, opts).outcome).toMatchObject({
      status: 'failed',
      reason: 'user not found in the directory',
    });
    expect(planRow(row(), user({ accountEnabled: false }), none, undefined, opts).outcome.status).toBe('skipped');
  });

  it('needs a mobile number before an alternateMobile one', () => {
    expect(planRow(row({ phoneType: 'alternateMobile' }), user(), none, undefined, opts).outcome.status).toBe('failed');
    expect(
      planRow(
        row({ phoneType: 'alternateMobile', phoneNumber: '+1 4255550101' }),
        user(),
        mobile('+1 4255550100'),
        undefined,
        opts,
      ).outcome.status,
    ).toBe('created');
  });

  it('enables SMS sign-in for a licensed user the policy allows', () => {
    expect(planRow(row({ enableSmsSignIn: true }), user(), none, allowed, opts)).toMatchObject({
      outcome: { status: 'smsEnabled', action: 'add mobile; enable SMS sign-in' },
      enableSms: true,
    });
  });

  it('does not enable SMS sign-in twice', () => {
    expect(planRow(row({ enableSmsSignIn: true }), user(), mobile('+1 4255550100', 'ready'), allowed, opts)).toMatchObject({
      outcome: { status: 'unchanged', reason: 'SMS sign-in is already enabled' },
      enableSms: false,
    });
  });

  it('sets the number but skips enablement for a user without a qualifying licence', () => {
    expect(planRow(row({ enableSmsSignIn: true }), user({ licensedForSmsSignIn: false }), none, allowed, opts)).toMatchObject({
      outcome: { status: 'created', reason: 'warning: no licence for SMS sign-in' },
      enableSms: false,
    });
    expect(
      planRow(row({ enableSmsSignIn: true }), user({ licensedForSmsSignIn: false }), none, allowed, {
        ...opts,
        enableSmsWithoutLicence: true,
      }).enableSms,
    ).toBe(true);
  });

  it('skips users the SMS policy does not allow, before any write', () => {
    const p = planRow(row({ enableSmsSignIn: true }), user(), none, { kind: 'notAllowed', reason: 'x' }, opts);
    expect(p).toMatchObject({ outcome: { status: 'skipped', reason: 'notAllowedByPolicy: x' }, enableSms: false });
    expect(p.phoneWrite).toBeUndefined();
  });

  it('adds users to the SMS group when that is how the policy reaches them', () => {
    expect(planRow(row({ enableSmsSignIn: true }), user(), none, { kind: 'viaGroup', groupId: 'g1' }, opts)).toMatchObject({
      addToGroup: 'g1',
      outcome: { action: 'add mobile; add to the SMS sign-in group; enable SMS sign-in' },
    });
  });

  it('says what would happen in a dry run', () => {
    expect(planRow(row({ enableSmsSignIn: true }), user(), none, allowed, { ...opts, dryRun: true }).outcome.action).toBe(
      'would add mobile; would enable SMS sign-in',
    );
  });

  it('sets the number for guests without enabling SMS sign-in, whatever the SMS policy says', () => {
    for (const sms of [allowed, { kind: 'notAllowed', reason: 'x' } as const, undefined]) {
      expect(planRow(row({ enableSmsSignIn: true }), user({ userType: 'Guest' }), none, sms, opts)).toMatchObject({
        outcome: { status: 'created', reason: expect.stringMatching(/not available for guest users/) as unknown },
        enableSms: false,
      });
    }
  });
});

describe('reconcileRetry', () => {
  it('reports the planned change when a retry finds it already applied', () => {
    const fresh = planRow(row(), user(), mobile('+1 4255550100'), undefined, opts);
    expect(reconcileRetry('created', fresh).outcome).toMatchObject({
      status: 'created',
      reason: expect.stringMatching(/retry/) as unknown,
    });
    expect(reconcileRetry(undefined, fresh).outcome.status).toBe('unchanged');
  });
});

describe('smsEligibility', () => {
  const policy = { enabled: true, signInTargets: ['g-sms'], excludeGroupIds: ['g-out'] };
  it('allows members of a targeted group and everyone with all_users', () => {
    expect(smsEligibility(policy, new Set(['g-sms']), undefined)).toEqual({ kind: 'allowed' });
    expect(smsEligibility({ ...policy, signInTargets: ['all_users'] }, new Set(), undefined)).toEqual({ kind: 'allowed' });
  });
  it('refuses excluded users and a disabled method', () => {
    expect(smsEligibility(policy, new Set(['g-sms', 'g-out']), undefined).kind).toBe('notAllowed');
    expect(smsEligibility({ ...policy, enabled: false }, new Set(['g-sms']), undefined).kind).toBe('notAllowed');
  });
  it('routes others through SMS_SIGNIN_GROUP_ID only when the policy targets that group', () => {
    expect(smsEligibility(policy, new Set(), 'g-sms')).toEqual({ kind: 'viaGroup', groupId: 'g-sms' });
    expect(smsEligibility(policy, new Set(), 'g-other')).toMatchObject({
      kind: 'notAllowed',
      reason: expect.stringMatching(/SMS_SIGNIN_GROUP_ID/) as unknown,
    });
  });
});

describe('hasSmsSignInLicence', () => {
  it('accepts an enabled Entra ID P1 or P2 plan', () => {
    expect(
      hasSmsSignInLicence({
        assignedPlans: [{ servicePlanId: '41781fb2-bc02-4b7c-bd55-b576c07bb09d', capabilityStatus: 'Enabled' }],
      }),
    ).toBe(true);
    expect(
      hasSmsSignInLicence({
        assignedPlans: [{ servicePlanId: 'eec0eb4f-6444-4f95-aba0-50c24d67f998', capabilityStatus: 'Warning' }],
      }),
    ).toBe(true);
  });
  it('refuses a suspended plan and non-qualifying plans', () => {
    expect(
      hasSmsSignInLicence({
        assignedPlans: [{ servicePlanId: '41781fb2-bc02-4b7c-bd55-b576c07bb09d', capabilityStatus: 'Suspended' }],
      }),
    ).toBe(false);
    expect(
      hasSmsSignInLicence({
        assignedPlans: [{ servicePlanId: '9aaf7827-d63c-4b61-89c3-182f06f82e5c', capabilityStatus: 'Enabled' }],
      }),
    ).toBe(false);
    expect(hasSmsSignInLicence({})).toBe(false);
  });
  it('accepts Office 365 F3 by its SKU', () => {
    expect(hasSmsSignInLicence({ assignedLicenses: [{ skuId: '4b585984-651b-448a-9e53-3b10f069cf7f' }] })).toBe(true);
  });
});
