import { describe, expect, it } from 'vitest';

import { parseMemberOfRule, usesMemberOf } from '../../shared/sync/memberOf';

const A = '2936be1a-54e6-4454-a922-5a7d3e21b31d';
const B = '9e6a1947-d757-42ef-8e5c-6000c6e5ff4d';

describe('memberOf rules', () => {
  it('reads the group ids of a user memberOf rule as an exact rule', () => {
    expect(parseMemberOfRule(`user.memberof -any (group.objectId -in ['${A}', '${B}'])`)).toEqual({
      memberType: 'user',
      groupIds: [A, B],
      exact: true,
    });
  });

  it('joins several clauses with -or, case-insensitively, with double quotes', () => {
    const rule = `(User.MemberOf -any (Group.ObjectId -in ["${A.toUpperCase()}"])) -or (user.memberof -any (group.objectId -in ['${B}']))`;
    expect(parseMemberOfRule(rule)).toEqual({ memberType: 'user', groupIds: [A, B], exact: true });
  });

  it('reads device rules', () => {
    expect(parseMemberOfRule(`device.memberof -any (group.objectId -in ['${A}'])`)).toMatchObject({
      memberType: 'device',
      exact: true,
    });
  });

  it('marks rules with other conditions as not exact, with the reason', () => {
    const parsed = parseMemberOfRule(`user.memberof -any (group.objectId -in ['${A}']) -and (user.department -eq "Sales")`);
    expect(parsed).toMatchObject({ exact: false, groupIds: [A] });
    expect(parsed?.reason).toContain('besides memberOf');
  });

  it('does not treat rules without memberOf as memberOf rules', () => {
    expect(usesMemberOf('user.department -eq "Sales"')).toBe(false);
    expect(parseMemberOfRule('user.department -eq "Sales"')).toBeUndefined();
  });
});
