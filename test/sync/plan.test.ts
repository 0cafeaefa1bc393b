import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { computePlan, desiredMembers, expandMembers, passesFilter, unreadNestedGroups } from '../../shared/sync/plan';
import type { MemberFacts } from '../../shared/sync/ports';

const user = (id: string, facts: Partial<MemberFacts> = {}): MemberFacts => ({
  id,
  type: 'user',
  userType: 'Member',
  accountEnabled: true,
  ...facts,
});
const group = (id: string): MemberFacts => ({ id, type: 'group' });
const groups = (entries: Record<string, MemberFacts[]>) =>
  new Map(Object.entries(entries).map(([id, ms]) => [id, new Map(ms.map((m) => [m.id, m]))]));
const filter = { memberTypes: ['user'] as const, userType: 'any' as const, includeDisabled: false };

describe('expandMembers', () => {
  it('returns direct members only when not transitive', () => {
    const g = groups({ a: [user('u1'), group('b')], b: [user('u2')] });
    expect([...expandMembers('a', false, g).keys()]).toEqual(['u1', 'b']);
  });

  it('follows nested groups when transitive and survives cycles', () => {
    const g = groups({ a: [user('u1'), group('b')], b: [user('u2'), group('a')] });
    expect([...expandMembers('a', true, g).keys()].sort()).toEqual(['a', 'b', 'u1', 'u2']);
  });

  it('names nested groups that were not read yet', () => {
    const g = groups({ a: [group('b'), group('c')], b: [] });
    expect(unreadNestedGroups('a', g)).toEqual(['c']);
  });
});

describe('passesFilter', () => {
  it('keeps only the listed member types', () => {
    expect(passesFilter({ id: 'd', type: 'device', accountEnabled: true }, filter)).toBe(false);
    expect(
      passesFilter({ id: 'x', type: 'other' }, { ...filter, memberTypes: ['user', 'group', 'device', 'servicePrincipal'] }),
    ).toBe(false);
  });

  it('applies userType to users only', () => {
    expect(passesFilter(user('g', { userType: 'Guest' }), { ...filter, userType: 'Member' })).toBe(false);
    expect(
      passesFilter({ id: 'd', type: 'device', accountEnabled: true }, { ...filter, memberTypes: ['device'], userType: 'Member' }),
    ).toBe(true);
  });

  it('drops disabled accounts unless includeDisabled', () => {
    expect(passesFilter(user('d', { accountEnabled: false }), filter)).toBe(false);
    expect(passesFilter(user('d', { accountEnabled: false }), { ...filter, includeDisabled: true })).toBe(true);
  });
});

describe('desiredMembers', () => {
  it('unions sources, removes excluded members and never includes the target itself', () => {
    const g = groups({ s1: [user('u1'), user('u2')], s2: [user('u3'), group('t')], x: [user('u2')] });
    const desired = desiredMembers({
      targetId: 't',
      sources: [
        { group: 's1', transitive: false },
        { group: 's2', transitive: false },
      ],
      exclude: [{ group: 'x', transitive: true }],
      groups: g,
      filter: { ...filter, memberTypes: ['user', 'group'] },
    });
    expect([...desired].sort()).toEqual(['u1', 'u3']);
  });
});

describe('computePlan', () => {
  it('adds what is missing and, in mirror mode, removes what is not desired', () => {
    const plan = computePlan({
      desired: new Set(['a', 'b']),
      current: new Set(['b', 'c']),
      mode: 'mirror',
      protectedIds: new Set(),
      addedByJob: new Set(),
    });
    expect(plan).toEqual({ add: ['a'], remove: ['c'], unchanged: 1, keptProtected: 0 });
  });

  it('removes in additive mode only members the job added', () => {
    const plan = computePlan({
      desired: new Set(),
      current: new Set(['mine', 'manual']),
      mode: 'additive',
      protectedIds: new Set(),
      addedByJob: new Set(['mine']),
    });
    expect(plan.remove).toEqual(['mine']);
  });

  it('keeps protected members and counts them', () => {
    const plan = computePlan({
      desired: new Set(),
      current: new Set(['p']),
      mode: 'mirror',
      protectedIds: new Set(['p']),
      addedByJob: new Set(['p']),
    });
    expect(plan).toMatchObject({ remove: [], keptProtected: 1 });
  });

  it('holds its invariants for any input (property)', () => {
    const ids = fc.uniqueArray(fc.constantFrom<string>('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), { maxLength: 8 });
    fc.assert(
      fc.property(
        ids,
        ids,
        ids,
        ids,
        fc.constantFrom('additive' as const, 'mirror' as const),
        (desired, current, prot, ledger, mode) => {
          const plan = computePlan({
            desired: new Set(desired),
            current: new Set(current),
            mode,
            protectedIds: new Set(prot),
            addedByJob: new Set(ledger),
          });
          const after = new Set([...current.filter((id) => !plan.remove.includes(id)), ...plan.add]);
          for (const id of desired) expect(after.has(id)).toBe(true);
          for (const id of plan.remove) {
            expect(prot).not.toContain(id);
            expect(desired).not.toContain(id);
            if (mode === 'additive') expect(ledger).toContain(id);
          }
          for (const id of plan.add) expect(current).not.toContain(id);
          if (mode === 'mirror') for (const id of after) expect(desired.includes(id) || prot.includes(id)).toBe(true);
        },
      ),
    );
  });
});
