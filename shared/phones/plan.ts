/**
 * The per-row decision, planned before any write: pure, from what Graph said about the user, their phone methods and the
 * SMS policy, to the writes to make and the outcome to report if they succeed. Dry runs report the same decision.
 * Graph's one-method-per-type rule and the fixed method ids come from
 * https://learn.microsoft.com/graph/api/resources/phoneauthenticationmethod.
 */

import { maskPhone } from './mask';
import { samePhone } from './normalize';
import type { PhoneType, RowOutcome, RowStatus, ValidRow } from './types';

export const PHONE_METHOD_IDS: Readonly<Record<PhoneType, string>> = {
  mobile: '3179e48a-750b-4051-897c-87b9720928f7',
  alternateMobile: 'b6332ec1-7057-4abe-9331-3d72feddfe41',
  office: 'e37fc753-ff3b-4958-9484-eaa9425c82bc',
};

export interface UserFacts {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly userType: 'Member' | 'Guest';
  readonly accountEnabled: boolean;
  readonly licensedForSmsSignIn: boolean;
}

export interface PhoneMethodFacts {
  readonly id: string;
  readonly phoneNumber: string;
  readonly phoneType: PhoneType;
  readonly smsSignInState?: string;
}

export type UserLookup =
  | { readonly kind: 'found'; readonly user: UserFacts }
  | { readonly kind: 'notFound' }
  | { readonly kind: 'error'; readonly message: string; readonly transient?: boolean };

export type MethodsLookup =
  | { readonly ok: true; readonly methods: readonly PhoneMethodFacts[] }
  | { readonly ok: false; readonly message: string; readonly transient?: boolean };

/** Whether the SMS authentication-method policy lets this user sign in with SMS, or would once added to the group. */
export type SmsEligibility =
  | { readonly kind: 'allowed' }
  | { readonly kind: 'viaGroup'; readonly groupId: string }
  | { readonly kind: 'notAllowed'; readonly reason: string };

export interface PlanOptions {
  readonly overwrite: boolean;
  readonly enableSmsWithoutLicence: boolean;
  readonly dryRun: boolean;
}

export interface RowPlan {
  /** Outcome if every write succeeds (or the final outcome when there is nothing to write). */
  readonly outcome: RowOutcome;
  readonly phoneWrite?: { readonly kind: 'create' | 'update'; readonly methodId: string };
  readonly addToGroup?: string;
  readonly enableSms: boolean;
}

const done = (status: RowStatus, action: string, reason = ''): RowPlan => ({
  outcome: { status, action, reason },
  enableSms: false,
});

export function planRow(
  row: ValidRow,
  user: UserLookup,
  methods: MethodsLookup | undefined,
  sms: SmsEligibility | undefined,
  options: PlanOptions,
): RowPlan {
  const facts = plannableFacts(user, methods);
  if ('outcome' in facts) return facts;
  // Guests get the number (for MFA here) but not SMS sign-in, so the SMS policy does not decide their row.
  const guestAskingSms = row.enableSmsSignIn && facts.user.userType === 'Guest';
  const wantsSms = row.enableSmsSignIn && row.phoneType === 'mobile' && !guestAskingSms;
  if (wantsSms && sms?.kind === 'notAllowed') return done('skipped', 'none', `notAllowedByPolicy: ${sms.reason}`);

  const would = options.dryRun ? 'would ' : '';
  const phone = planPhone(row, facts.methods, options, would);
  if ('outcome' in phone) return phone;
  const guestWarning = guestAskingSms
    ? ['warning: SMS sign-in is not available for guest users; the number is set for MFA only']
    : [];
  const step = wantsSms ? planSms(phone, facts.user, sms, options) : { enable: false, notes: [] };
  const reason = [...guestWarning, ...step.notes].join('; ');
  const phoneWrite = phone.phoneWrite && { phoneWrite: phone.phoneWrite };
  if (!step.enable) return { outcome: { status: phone.status, action: phone.action, reason }, ...phoneWrite, enableSms: false };
  const steps = [
    phone.action === 'none' ? undefined : phone.action,
    step.addToGroup ? `${would}add to the SMS sign-in group` : undefined,
    `${would}enable SMS sign-in`,
  ];
  return {
    outcome: { status: 'smsEnabled', action: steps.filter((s): s is string => s !== undefined).join('; '), reason },
    ...phoneWrite,
    ...(step.addToGroup && { addToGroup: step.addToGroup }),
    enableSms: true,
  };
}

/** The user and their phone methods, or the final plan of a row that cannot be planned (not found, disabled, unread). */
export function plannableFacts(
  user: UserLookup,
  methods: MethodsLookup | undefined,
): { readonly user: UserFacts; readonly methods: readonly PhoneMethodFacts[] } | RowPlan {
  if (user.kind === 'notFound') return done('failed', 'none', 'user not found in the directory');
  if (user.kind === 'error') return done('failed', 'none', `could not read the user: ${user.message}`);
  if (!user.user.accountEnabled) return done('skipped', 'none', 'the user account is disabled (accountEnabled is false)');
  if (!methods) return done('failed', 'none', 'phone methods were not read');
  if (!methods.ok) return done('failed', 'none', `could not read the user's phone methods: ${methods.message}`);
  return { user: user.user, methods: methods.methods };
}

/** What happens to the row's number, before SMS sign-in is considered. */
export interface PhoneStep {
  readonly status: 'created' | 'updated' | 'unchanged';
  readonly action: string;
  readonly phoneWrite?: RowPlan['phoneWrite'];
  /** The user's method of this type before the import, if any. */
  readonly existing?: PhoneMethodFacts;
}

/** Create, keep or replace the number of the row's type; a row that cannot proceed gets its final plan. */
export function planPhone(
  row: ValidRow,
  methods: readonly PhoneMethodFacts[],
  options: PlanOptions,
  would: string,
): PhoneStep | RowPlan {
  const existing = methods.find((m) => m.phoneType === row.phoneType);
  if (!existing) {
    if (row.phoneType === 'alternateMobile' && !methods.some((m) => m.phoneType === 'mobile'))
      return done(
        'failed',
        'none',
        'Graph needs a mobile number before an alternateMobile one; add a mobile row for this user first',
      );
    const phoneWrite = { kind: 'create' as const, methodId: PHONE_METHOD_IDS[row.phoneType] };
    return { status: 'created', action: `${would}add ${row.phoneType}`, phoneWrite };
  }
  if (samePhone(existing.phoneNumber, row.phoneNumber)) return { status: 'unchanged', action: 'none', existing };
  if (!options.overwrite)
    return done(
      'conflict',
      'none',
      `the user already has a different ${row.phoneType} number (${maskPhone(existing.phoneNumber)}); set PHONE_OVERWRITE=true to replace it`,
    );
  const action = `${would}replace ${row.phoneType} ${maskPhone(existing.phoneNumber)}`;
  return { status: 'updated', action, phoneWrite: { kind: 'update', methodId: existing.id }, existing };
}

/** For a row asking for SMS sign-in the policy allows: whether to enable it, via which group, and the notes to report. */
export function planSms(
  phone: PhoneStep,
  user: UserFacts,
  sms: SmsEligibility | undefined,
  options: PlanOptions,
): { readonly enable: boolean; readonly addToGroup?: string; readonly notes: readonly string[] } {
  if (phone.status === 'unchanged' && phone.existing?.smsSignInState === 'ready')
    return { enable: false, notes: ['SMS sign-in is already enabled'] };
  if (!user.licensedForSmsSignIn && !options.enableSmsWithoutLicence)
    return { enable: false, notes: ['warning: no licence for SMS sign-in'] };
  const notes = user.licensedForSmsSignIn
    ? []
    : ['warning: no licence for SMS sign-in (enabled anyway: PHONE_ENABLE_SMS_WITHOUT_LICENCE)'];
  return { enable: true, ...(sms?.kind === 'viaGroup' && { addToGroup: sms.groupId }), notes };
}

/** Decides whether the SMS policy lets the user sign in with SMS (policy targets are groups or `all_users`). */
export interface SmsPolicyFacts {
  readonly enabled: boolean;
  /** Include targets usable for sign-in (`isUsableForSignIn` not false): group ids, user ids (`targetType: user`) or `all_users`. */
  readonly signInTargets: readonly string[];
  readonly excludeGroupIds: readonly string[];
}

export function smsEligibility(
  policy: SmsPolicyFacts,
  memberOf: ReadonlySet<string>,
  smsGroupId: string | undefined,
  userId?: string,
): SmsEligibility {
  if (!policy.enabled) return { kind: 'notAllowed', reason: 'the SMS method is disabled in the authentication methods policy' };
  const excluded = policy.excludeGroupIds.find((g) => memberOf.has(g));
  if (excluded) return { kind: 'notAllowed', reason: `the user is in group ${excluded}, which the SMS policy excludes` };
  if (policy.signInTargets.includes('all_users')) return { kind: 'allowed' };
  // The policy can name users directly (`targetType: user`), not only groups.
  if (userId !== undefined && policy.signInTargets.includes(userId)) return { kind: 'allowed' };
  if (policy.signInTargets.some((g) => memberOf.has(g))) return { kind: 'allowed' };
  if (smsGroupId && policy.signInTargets.includes(smsGroupId)) return { kind: 'viaGroup', groupId: smsGroupId };
  return {
    kind: 'notAllowed',
    reason: smsGroupId
      ? `the user is in no group the SMS policy targets for sign-in, and SMS_SIGNIN_GROUP_ID (${smsGroupId}) is not one of its targets`
      : 'the user is in no group the SMS policy targets for sign-in (set SMS_SIGNIN_GROUP_ID to add users to one)',
  };
}

/**
 * A worker that dies after Graph applied a row but before the row's result was stored leaves the row `applying`.
 * On the retry Graph already shows the change, so the fresh plan says `unchanged`; report what this import did.
 */
export function reconcileRetry(planned: RowStatus | undefined, fresh: RowPlan): RowPlan {
  if (!planned || fresh.outcome.status !== 'unchanged') return fresh;
  if (planned === 'created' || planned === 'updated' || planned === 'smsEnabled') {
    return {
      ...fresh,
      outcome: {
        status: planned,
        action: fresh.outcome.action,
        reason: 'applied before a retry; confirmed by reading Graph again',
      },
    };
  }
  return fresh;
}
