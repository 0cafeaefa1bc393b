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
  if (user.kind === 'notFound') return done('failed', 'none', 'user not found in the directory');
  if (user.kind === 'error') return done('failed', 'none', `could not read the user: ${user.message}`);
  const u = user.user;
  if (!u.accountEnabled) return done('skipped', 'none', 'the user account is disabled (accountEnabled is false)');
  if (!methods) return done('failed', 'none', 'phone methods were not read');
  if (!methods.ok) return done('failed', 'none', `could not read the user's phone methods: ${methods.message}`);

  // Guests get the number (for MFA here) but not SMS sign-in, so the SMS policy does not decide their row.
  const guestAskingSms = row.enableSmsSignIn && u.userType === 'Guest';
  const wantsSms = row.enableSmsSignIn && row.phoneType === 'mobile' && !guestAskingSms;
  if (wantsSms && sms?.kind === 'notAllowed') return done('skipped', 'none', `notAllowedByPolicy: ${sms.reason}`);

  const would = options.dryRun ? 'would ' : '';
  const existing = methods.methods.find((m) => m.phoneType === row.phoneType);
  let phoneWrite: RowPlan['phoneWrite'];
  let status: RowStatus;
  let action: string;
  if (!existing) {
    if (row.phoneType === 'alternateMobile' && !methods.methods.some((m) => m.phoneType === 'mobile')) {
      return done(
        'failed',
        'none',
        'Graph needs a mobile number before an alternateMobile one; add a mobile row for this user first',
      );
    }
    phoneWrite = { kind: 'create', methodId: PHONE_METHOD_IDS[row.phoneType] };
    status = 'created';
    action = `${would}add ${row.phoneType}`;
  } else if (samePhone(existing.phoneNumber, row.phoneNumber)) {
    status = 'unchanged';
    action = 'none';
  } else if (!options.overwrite) {
    return done(
      'conflict',
      'none',
      `the user already has a different ${row.phoneType} number (${maskPhone(existing.phoneNumber)}); set PHONE_OVERWRITE=true to replace it`,
    );
  } else {
    phoneWrite = { kind: 'update', methodId: existing.id };
    status = 'updated';
    action = `${would}replace ${row.phoneType} ${maskPhone(existing.phoneNumber)}`;
  }

  const reasons: string[] = guestAskingSms
    ? ['warning: SMS sign-in is not available for guest users; the number is set for MFA only']
    : [];
  let enableSms = false;
  let addToGroup: string | undefined;
  if (wantsSms) {
    const alreadyReady = status === 'unchanged' && existing?.smsSignInState === 'ready';
    if (alreadyReady) {
      reasons.push('SMS sign-in is already enabled');
    } else if (!u.licensedForSmsSignIn && !options.enableSmsWithoutLicence) {
      reasons.push('warning: no licence for SMS sign-in');
    } else {
      if (!u.licensedForSmsSignIn)
        reasons.push('warning: no licence for SMS sign-in (enabled anyway: PHONE_ENABLE_SMS_WITHOUT_LICENCE)');
      enableSms = true;
      if (sms?.kind === 'viaGroup') addToGroup = sms.groupId;
    }
  }
  if (enableSms) {
    const steps = [
      action === 'none' ? undefined : action,
      addToGroup ? `${would}add to the SMS sign-in group` : undefined,
      `${would}enable SMS sign-in`,
    ];
    return {
      outcome: {
        status: 'smsEnabled',
        action: steps.filter((s): s is string => s !== undefined).join('; '),
        reason: reasons.join('; '),
      },
      ...(phoneWrite && { phoneWrite }),
      ...(addToGroup && { addToGroup }),
      enableSms: true,
    };
  }
  return { outcome: { status, action, reason: reasons.join('; ') }, ...(phoneWrite && { phoneWrite }), enableSms: false };
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
