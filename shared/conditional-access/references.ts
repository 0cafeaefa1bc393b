/**
 * Which ids a policy refers to, and where: users, groups, roles, applications, named locations and the authentication
 * strength. Keywords (`All`, `GuestsOrExternalUsers`, `AllTrusted`, `Office365`, ...) are not references.
 */
import { isJson, type Json, KEYWORDS } from './model';

export type ReferenceKind = 'user' | 'group' | 'role' | 'application' | 'namedLocation' | 'authenticationStrength';

export interface Reference {
  readonly id: string;
  readonly kind: ReferenceKind;
  /** JSON path of the array (or property) that holds it, e.g. `conditions.users.excludeGroups`. */
  readonly path: string;
}

const REFERENCE_ARRAYS: readonly (readonly [string, string, ReferenceKind])[] = [
  ['users', 'includeUsers', 'user'],
  ['users', 'excludeUsers', 'user'],
  ['users', 'includeGroups', 'group'],
  ['users', 'excludeGroups', 'group'],
  ['users', 'includeRoles', 'role'],
  ['users', 'excludeRoles', 'role'],
  ['applications', 'includeApplications', 'application'],
  ['applications', 'excludeApplications', 'application'],
  ['locations', 'includeLocations', 'namedLocation'],
  ['locations', 'excludeLocations', 'namedLocation'],
];

export function referencesOf(policy: Json): Reference[] {
  const out: Reference[] = [];
  const conditions = isJson(policy.conditions) ? policy.conditions : {};
  for (const [section, key, kind] of REFERENCE_ARRAYS) {
    const holder = conditions[section];
    const list = isJson(holder) ? holder[key] : undefined;
    if (!Array.isArray(list)) continue;
    for (const id of list) {
      if (typeof id === 'string' && !KEYWORDS.has(id)) out.push({ id, kind, path: `conditions.${section}.${key}` });
    }
  }
  const strength = isJson(policy.grantControls) ? policy.grantControls.authenticationStrength : undefined;
  if (isJson(strength) && typeof strength.id === 'string') {
    out.push({ id: strength.id, kind: 'authenticationStrength', path: 'grantControls.authenticationStrength.id' });
  }
  return out;
}

/** Replaces (or drops, when `map` returns undefined) every reference in a copy of the policy. */
export function rewriteReferences(policy: Json, map: (ref: Reference) => string | undefined): Json {
  const copy = structuredClone(policy);
  const conditions = isJson(copy.conditions) ? copy.conditions : {};
  for (const [section, key, kind] of REFERENCE_ARRAYS) {
    const holder = conditions[section];
    if (!isJson(holder) || !Array.isArray(holder[key])) continue;
    const path = `conditions.${section}.${key}`;
    holder[key] = (holder[key] as unknown[]).flatMap((id) => {
      if (typeof id !== 'string' || KEYWORDS.has(id)) return [id];
      const mapped = map({ id, kind, path });
      return mapped === undefined ? [] : [mapped];
    });
  }
  return copy;
}
