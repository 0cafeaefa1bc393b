/**
 * The tenant's Temporary Access Pass policy, decided before Graph is asked for a pass. Graph's create-time errors for
 * a pass the policy forbids are not documented, and the sign-in error for one that slipped through is the vague
 * "Temporary Access Pass sign in was blocked due to User Credential Policy" (user outside the policy's targets, a
 * multi-use pass where the policy forces one-time use, or a one-time pass already used). So every refusal here names
 * the policy setting an admin changes: Entra admin center > Protection > Authentication methods > Policies >
 * Temporary Access Pass (Enable and target / Configure), or PATCH authenticationMethodConfigurations/TemporaryAccessPass.
 * Docs: temporaryaccesspassauthenticationmethodconfiguration.md, authentication-post-temporaryaccesspassmethods.md.
 */
export interface TapPolicy {
  readonly state: 'enabled' | 'disabled';
  readonly isUsableOnce: boolean;
  readonly defaultLifetimeInMinutes: number;
  readonly minimumLifetimeInMinutes: number;
  readonly maximumLifetimeInMinutes: number;
  readonly includeTargets: readonly string[];
  readonly excludeTargets: readonly string[];
}

export interface TapRequest {
  readonly lifetimeInMinutes?: number;
  readonly isUsableOnce?: boolean;
  readonly startDateTime?: string;
}

/** What the pass will be, after defaults. */
export interface TapPlan {
  readonly lifetimeInMinutes: number;
  readonly isUsableOnce: boolean;
  readonly startDateTime?: string;
}

export type TapRefusalCode =
  | 'TAP_POLICY_DISABLED'
  | 'TAP_USER_NOT_TARGETED'
  | 'TAP_MULTI_USE_NOT_ALLOWED'
  | 'TAP_LIFETIME_OUT_OF_BOUNDS'
  | 'TAP_EXTERNAL_GUEST'
  | 'TAP_START_INVALID';

export interface TapRefusal {
  readonly code: TapRefusalCode;
  readonly message: string;
  /** The policy setting (or user property) to change so the request succeeds. */
  readonly setting: string;
  readonly policy?: Partial<TapPolicy>;
}

export type TapDecision = { readonly ok: true; readonly plan: TapPlan } | { readonly ok: false; readonly refusal: TapRefusal };

/** Graph's own bounds on any pass, whatever the policy says. */
export const GRAPH_MIN_LIFETIME = 10;
export const GRAPH_MAX_LIFETIME = 43_200;
/** The seed's advice: short-lived. One hour unless the policy's minimum is higher. */
export const SHORT_LIFETIME_MINUTES = 60;
/** Graph accepts a start date at most 30 days ahead (the policy page's "start time" picker); farther is refused here. */
const MAX_START_AHEAD_MS = 30 * 24 * 3_600_000;

const POLICY_PATH = 'authenticationMethodsPolicy > Temporary Access Pass';

export interface TapTargetFacts {
  /** True when the user is a guest invited from another tenant: Graph refuses passes for them. */
  readonly externalGuest: boolean;
  /** Ids of the policy's target groups the user is a (transitive) member of; `all_users` counts for everyone. */
  readonly memberOfTargets: ReadonlySet<string>;
}

const refuse = (code: TapRefusalCode, setting: string, message: string, policy?: Partial<TapPolicy>): TapDecision => ({
  ok: false,
  refusal: policy === undefined ? { code, setting, message } : { code, setting, message, policy },
});

function inTargets(targets: readonly string[], facts: TapTargetFacts): boolean {
  return targets.some((t) => t === 'all_users' || facts.memberOfTargets.has(t));
}

/** The user-facing half of the decision: policy on, user targeted, not an external guest. */
function checkEligibility(policy: TapPolicy, facts: TapTargetFacts): TapDecision | undefined {
  if (facts.externalGuest) {
    return refuse(
      'TAP_EXTERNAL_GUEST',
      'userType',
      'Temporary Access Pass cannot be added to an external guest user: they sign in at their home tenant, which issues their credentials.',
    );
  }
  if (policy.state !== 'enabled') {
    return refuse(
      'TAP_POLICY_DISABLED',
      `${POLICY_PATH} > state`,
      "The Temporary Access Pass policy is off; set its 'state' to enabled (Enable and target) before issuing passes.",
      { state: policy.state },
    );
  }
  if (!inTargets(policy.includeTargets, facts) || inTargets(policy.excludeTargets, facts)) {
    return refuse(
      'TAP_USER_NOT_TARGETED',
      `${POLICY_PATH} > includeTargets / excludeTargets`,
      'The user is outside the Temporary Access Pass policy targets, so sign-in with a pass would be blocked "due to User Credential Policy"; add the user (or a group of theirs) to includeTargets and remove them from excludeTargets.',
      { includeTargets: policy.includeTargets, excludeTargets: policy.excludeTargets },
    );
  }
  return undefined;
}

function effectiveLifetime(policy: TapPolicy, requested: number | undefined): number {
  if (requested !== undefined) return requested;
  const low = Math.max(policy.minimumLifetimeInMinutes, GRAPH_MIN_LIFETIME);
  return Math.min(Math.max(SHORT_LIFETIME_MINUTES, low), policy.maximumLifetimeInMinutes);
}

/**
 * Decides a pass request against the policy. Defaults follow the seed's advice: a short lifetime (one hour, within
 * the policy's bounds) and multi-use where the policy allows it, so a user whose first sign-in fails half-way can
 * retry with the same pass instead of being blocked "due to User Credential Policy".
 */
export function decideTap(policy: TapPolicy, facts: TapTargetFacts, request: TapRequest, now: Date): TapDecision {
  const ineligible = checkEligibility(policy, facts);
  if (ineligible) return ineligible;
  if (request.isUsableOnce === false && policy.isUsableOnce) {
    return refuse(
      'TAP_MULTI_USE_NOT_ALLOWED',
      `${POLICY_PATH} > isUsableOnce`,
      'The Temporary Access Pass policy allows one-time passes only (\'isUsableOnce\': true, "Require one-time use" in the portal). A multi-use pass would fail at sign-in with "Temporary Access Pass sign in was blocked due to User Credential Policy"; set the policy\'s isUsableOnce to false, or ask for isUsableOnce: true.',
      { isUsableOnce: true },
    );
  }
  const lifetime = effectiveLifetime(policy, request.lifetimeInMinutes);
  const min = Math.max(policy.minimumLifetimeInMinutes, GRAPH_MIN_LIFETIME);
  const max = Math.min(policy.maximumLifetimeInMinutes, GRAPH_MAX_LIFETIME);
  if (lifetime < min || lifetime > max) {
    return refuse(
      'TAP_LIFETIME_OUT_OF_BOUNDS',
      `${POLICY_PATH} > minimumLifetimeInMinutes / maximumLifetimeInMinutes`,
      `A lifetime of ${lifetime} minutes is outside the policy's bounds of ${min} to ${max} minutes; ask for a lifetime inside them or change minimumLifetimeInMinutes / maximumLifetimeInMinutes.`,
      { minimumLifetimeInMinutes: policy.minimumLifetimeInMinutes, maximumLifetimeInMinutes: policy.maximumLifetimeInMinutes },
    );
  }
  if (request.startDateTime !== undefined) {
    const start = Date.parse(request.startDateTime);
    if (Number.isNaN(start) || start > now.getTime() + MAX_START_AHEAD_MS || start + lifetime * 60_000 <= now.getTime()) {
      return refuse(
        'TAP_START_INVALID',
        'startDateTime',
        'startDateTime must be an ISO date-time, at most 30 days ahead, and the pass must not have expired already.',
      );
    }
  }
  const plan: TapPlan = {
    lifetimeInMinutes: lifetime,
    isUsableOnce: request.isUsableOnce ?? policy.isUsableOnce,
    ...(request.startDateTime === undefined ? {} : { startDateTime: new Date(request.startDateTime).toISOString() }),
  };
  return { ok: true, plan };
}
