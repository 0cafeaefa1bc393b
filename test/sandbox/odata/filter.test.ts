import { describe, expect, it } from 'vitest';

import { evaluateFilter, FilterSyntaxError, parseFilter } from '../../../local/sandbox/odata/filter';

const ci = { caseInsensitive: true };
const matches = (filter: string, obj: unknown, opts = ci): boolean => evaluateFilter(parseFilter(filter), obj, opts);

const user = {
  id: '0f1e2d3c-0000-4000-8000-000000000001',
  displayName: 'Adele Vance',
  accountEnabled: true,
  userType: 'Member',
  mail: null,
  createdDateTime: '2026-01-15T10:00:00Z',
  groupTypes: ['Unified', 'DynamicMembership'],
  assignedLicenses: [{ skuId: 'c7df2760-2c81-4ef7-b578-5b5392b571df', disabledPlans: [] }],
  status: { errorCode: 53003 },
};

describe('OData $filter', () => {
  it('compares strings case-insensitively for directory objects and exactly otherwise', () => {
    expect(matches("displayName eq 'adele vance'", user)).toBe(true);
    expect(matches("displayName eq 'adele vance'", user, { caseInsensitive: false })).toBe(false);
  });

  it('gives and precedence over or and honours parentheses and not', () => {
    expect(matches("userType eq 'Guest' and accountEnabled eq true or displayName eq 'Adele Vance'", user)).toBe(true);
    expect(matches("userType eq 'Guest' and (accountEnabled eq true or displayName eq 'Adele Vance')", user)).toBe(false);
    expect(matches("not (userType eq 'Guest')", user)).toBe(true);
  });

  it('evaluates in, startswith, endswith and null', () => {
    expect(matches("userType in ('Guest', 'Member')", user)).toBe(true);
    expect(matches("startswith(displayName,'ade')", user)).toBe(true);
    expect(matches("endswith(displayName,'VANCE')", user)).toBe(true);
    expect(matches('mail eq null', user)).toBe(true);
    expect(matches('mail ne null', user)).toBe(false);
  });

  it('evaluates any() lambdas on string and object collections', () => {
    expect(matches("groupTypes/any(c:c eq 'DynamicMembership')", user)).toBe(true);
    expect(matches("groupTypes/all(c:c eq 'Unified')", user)).toBe(false);
    expect(matches('assignedLicenses/any(x:x/skuId eq c7df2760-2c81-4ef7-b578-5b5392b571df)', user)).toBe(true);
  });

  it('compares nested numbers and datetimes', () => {
    expect(matches('status/errorCode eq 53003', user)).toBe(true);
    expect(matches('createdDateTime ge 2026-01-01T00:00:00Z and createdDateTime lt 2026-02-01T00:00:00Z', user)).toBe(true);
    expect(matches('createdDateTime gt 2026-01-15T10:00:00Z', user)).toBe(false);
  });

  it('unescapes doubled quotes in string literals', () => {
    expect(matches("displayName eq 'O''Brien'", { displayName: "O'Brien" })).toBe(true);
  });

  it('rejects malformed expressions', () => {
    for (const bad of ["displayName eq 'x", 'displayName eq', '(a eq 1', "displayName eq 'a' extra", "userType in 'a'", '']) {
      expect(() => parseFilter(bad), bad).toThrow(FilterSyntaxError);
    }
  });
});
