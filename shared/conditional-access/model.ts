/**
 * Conditional Access objects as the jobs see them: Graph's JSON kept whole (a backup must not drop properties we do not
 * know yet), with typed accessors for the parts the helpers reason about. Docs: resources/conditionalaccesspolicy.md,
 * resources/conditionalaccessusers.md, resources/namedlocation.md, resources/authenticationstrengthpolicy.md.
 */
export type Json = Record<string, unknown>;

export type PolicyState = 'enabled' | 'disabled' | 'enabledForReportingButNotEnforced';

export const POLICY_STATES: readonly PolicyState[] = ['enabled', 'disabled', 'enabledForReportingButNotEnforced'];

export interface CaPolicy extends Json {
  readonly id: string;
  readonly displayName: string;
  readonly state: PolicyState;
  readonly modifiedDateTime?: string | null;
}

/** The user-assignment arrays of `conditions.users` (conditionalaccessusers.md). */
export interface UserAssignments {
  readonly includeUsers: readonly string[];
  readonly excludeUsers: readonly string[];
  readonly includeGroups: readonly string[];
  readonly excludeGroups: readonly string[];
  readonly includeRoles: readonly string[];
  readonly excludeRoles: readonly string[];
}

export const USER_ASSIGNMENT_KEYS = [
  'includeUsers',
  'excludeUsers',
  'includeGroups',
  'excludeGroups',
  'includeRoles',
  'excludeRoles',
] as const;

/** Keywords Graph accepts in place of ids (conditionalaccessusers.md, conditionalaccessapplications.md, locations). */
export const KEYWORDS = new Set(['All', 'None', 'GuestsOrExternalUsers', 'AllTrusted', 'Office365', 'MicrosoftAdminPortals']);

export const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function userAssignments(policy: Json): UserAssignments {
  const conditions = isJson(policy.conditions) ? policy.conditions : {};
  const users = isJson(conditions.users) ? conditions.users : {};
  return {
    includeUsers: strings(users.includeUsers),
    excludeUsers: strings(users.excludeUsers),
    includeGroups: strings(users.includeGroups),
    excludeGroups: strings(users.excludeGroups),
    includeRoles: strings(users.includeRoles),
    excludeRoles: strings(users.excludeRoles),
  };
}

export function riskLevels(policy: Json): { user: string[]; signIn: string[] } {
  const conditions = isJson(policy.conditions) ? policy.conditions : {};
  return { user: strings(conditions.userRiskLevels), signIn: strings(conditions.signInRiskLevels) };
}

export function grantControlsOf(policy: Json): string[] {
  return isJson(policy.grantControls) ? strings(policy.grantControls.builtInControls) : [];
}

export function sessionControlsOf(policy: Json): string[] {
  if (!isJson(policy.sessionControls)) return [];
  return Object.entries(policy.sessionControls)
    .filter(([k, v]) => !k.startsWith('@') && v !== null && v !== false && !(isJson(v) && v.isEnabled === false))
    .map(([k]) => k);
}

export function isPolicy(value: unknown): value is CaPolicy {
  return (
    isJson(value) &&
    typeof value.id === 'string' &&
    typeof value.displayName === 'string' &&
    typeof value.state === 'string' &&
    (POLICY_STATES as readonly string[]).includes(value.state)
  );
}

/** Properties Graph sets itself and refuses or ignores on create/update (conditionalaccessroot-post-policies.md). */
export const READ_ONLY_PROPERTIES = ['id', 'createdDateTime', 'modifiedDateTime', '@odata.context', '@odata.type'] as const;

export function withoutReadOnly(policy: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(policy)) {
    if (!(READ_ONLY_PROPERTIES as readonly string[]).includes(k) && !k.endsWith('@odata.context')) out[k] = v;
  }
  return out;
}

/** Stable JSON: keys sorted at every level, so equal content hashes equally whatever order Graph sent. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isJson(value)) {
    const out: Json = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
    return out;
  }
  return value;
}
