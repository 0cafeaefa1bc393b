/**
 * Parser for dynamic membership rules that use `memberOf`, e.g.
 * `user.memberof -any (group.objectId -in ['<id>', '<id>'])`. Such rules stopped being evaluated when Microsoft
 * retired them; a sync job with the listed groups as sources (mirror mode) keeps the group's membership going.
 * A rule is `exact` when it holds nothing but memberOf clauses joined by `-or`: then the job reproduces it exactly.
 */

import { isGuid } from '../ids';
import { type MemberType } from './jobModel';

export interface MemberOfRule {
  readonly memberType: Extract<MemberType, 'user' | 'device'>;
  readonly groupIds: readonly string[];
  /** True when the job reproduces the rule; false when the rule has other conditions (`-and`, property tests). */
  readonly exact: boolean;
  /** Why the rule cannot be reproduced exactly. */
  readonly reason?: string;
}

const CLAUSE = /\b(user|device)\.memberof\s+-any\s*\(\s*group\.objectid\s+-in\s*\[([^\]]*)\]\s*\)/gi;
const QUOTED = /["']([^"']*)["']/g;

export function usesMemberOf(rule: string | null | undefined): boolean {
  return typeof rule === 'string' && /\.memberof\b/i.test(rule);
}

export function parseMemberOfRule(rule: string): MemberOfRule | undefined {
  const ids = new Set<string>();
  const types = new Set<'user' | 'device'>();
  const bad: string[] = [];
  for (const match of rule.matchAll(CLAUSE)) {
    types.add((match[1] ?? 'user').toLowerCase() as 'user' | 'device');
    for (const quoted of (match[2] ?? '').matchAll(QUOTED)) {
      const id = (quoted[1] ?? '').trim();
      if (isGuid(id)) ids.add(id.toLowerCase());
      else bad.push(id);
    }
  }
  if (types.size === 0) return undefined;
  const memberType = types.has('user') ? 'user' : 'device';
  const rest = rule
    .replace(CLAUSE, ' ')
    .replace(/-or\b/gi, ' ')
    .replace(/[()\s]/g, '');
  const reasons: string[] = [];
  if (rest !== '') reasons.push('the rule has conditions besides memberOf');
  if (types.size > 1) reasons.push('the rule mixes user and device memberOf clauses');
  if (bad.length > 0) reasons.push(`not object ids: ${bad.join(', ')}`);
  if (ids.size === 0) reasons.push('the rule lists no group ids');
  return reasons.length === 0
    ? { memberType, groupIds: [...ids], exact: true }
    : { memberType, groupIds: [...ids], exact: false, reason: reasons.join('; ') };
}
