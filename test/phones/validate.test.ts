import { describe, expect, it } from 'vitest';

import { mapHeader } from '../../shared/phones/csv/header';
import { DuplicateTracker } from '../../shared/phones/duplicates';
import { validateRecord } from '../../shared/phones/validate';

const header = (names: string[]) => {
  const m = mapHeader(names, 1);
  if (!m.ok) throw new Error(m.problem.message);
  return m.columns;
};
const seed = header(['UserName', 'PhoneNumber']);
const full = header(['UserName', 'PhoneNumber', 'PhoneType', 'EnableSmsSignIn']);
const rules = { defaultRegion: 'US', enableSmsSignInByDefault: false };

describe('validateRecord', () => {
  it('accepts a seed row and normalises the number', () => {
    expect(validateRecord(['adele@contoso.com', '(425) 555-0100'], seed, 2, rules)).toEqual({
      ok: true,
      row: { line: 2, user: 'adele@contoso.com', phoneNumber: '+1 4255550100', phoneType: 'mobile', enableSmsSignIn: false },
    });
  });

  it('accepts object ids and guest UPNs', () => {
    expect(validateRecord(['8d4c2a77-6b2f-4e0c-9a43-1f0d5e6c7b11', '+1 4255550100'], seed, 2, rules).ok).toBe(true);
    expect(validateRecord(['alice_fabrikam.com#EXT#@contoso.onmicrosoft.com', '+1 4255550100'], seed, 2, rules).ok).toBe(true);
  });

  it('rejects a row with one column, naming the columns it needs', () => {
    const r = validateRecord(['adele@contoso.com'], seed, 4, rules);
    expect(r).toMatchObject({
      ok: false,
      row: { line: 4, reason: 'the row has 1 column; the header has at least 2 (UserName, PhoneNumber)' },
    });
  });

  it('rejects users that are neither UPNs nor object ids', () => {
    expect(validateRecord(['adele', '+1 4255550100'], seed, 2, rules)).toMatchObject({
      ok: false,
      row: { reason: expect.stringMatching(/user principal name/) as unknown },
    });
    expect(validateRecord(['', '+1 4255550100'], seed, 2, rules)).toMatchObject({ ok: false, row: { reason: 'user is empty' } });
  });

  it('rejects a bad number with the reason and masks it in the row', () => {
    const r = validateRecord(['adele@contoso.com', '555-CALL-NOW 12345'], seed, 2, rules);
    expect(r).toMatchObject({ ok: false, row: { reason: expect.stringMatching(/letters/) as unknown } });
    if (!r.ok) expect(r.row.maskedPhone).not.toMatch(/12345/);
  });

  it('reads PhoneType and EnableSmsSignIn in any case', () => {
    const r = validateRecord(['a@b.com', '+1 4255550100', 'AlternateMobile', 'no'], full, 2, rules);
    expect(r).toMatchObject({ ok: true, row: { phoneType: 'alternateMobile', enableSmsSignIn: false } });
    expect(validateRecord(['a@b.com', '+1 4255550100', '', 'TRUE'], full, 2, rules)).toMatchObject({
      ok: true,
      row: { phoneType: 'mobile', enableSmsSignIn: true },
    });
  });

  it('rejects unknown phone types and flags', () => {
    expect(validateRecord(['a@b.com', '+1 4255550100', 'pager', ''], full, 2, rules)).toMatchObject({
      ok: false,
      row: { reason: expect.stringMatching(/PhoneType/) as unknown },
    });
    expect(validateRecord(['a@b.com', '+1 4255550100', '', 'maybe'], full, 2, rules)).toMatchObject({
      ok: false,
      row: { reason: 'EnableSmsSignIn must be true or false' },
    });
  });

  it('rejects SMS sign-in asked for on a voice-only phone type', () => {
    expect(validateRecord(['a@b.com', '+1 4255550100', 'office', 'true'], full, 2, rules)).toMatchObject({
      ok: false,
      row: { reason: 'SMS sign-in works only with PhoneType mobile' },
    });
  });

  it('applies the configured SMS default to mobile rows only', () => {
    const on = { ...rules, enableSmsSignInByDefault: true };
    expect(validateRecord(['a@b.com', '+1 4255550100', 'mobile', ''], full, 2, on)).toMatchObject({
      row: { enableSmsSignIn: true },
    });
    expect(validateRecord(['a@b.com', '+1 4255550100', 'office', ''], full, 2, on)).toMatchObject({
      ok: true,
      row: { enableSmsSignIn: false },
    });
  });
});

describe('DuplicateTracker', () => {
  const row = (line: number, user: string, phoneNumber: string) => ({
    line,
    user,
    phoneNumber,
    phoneType: 'mobile' as const,
    enableSmsSignIn: false,
  });

  it('rejects both rows of a user listed twice, each naming the other', () => {
    const t = new DuplicateTracker();
    expect(t.check(row(2, 'a@b.com', '+1 4255550100'))).toBeUndefined();
    expect(t.check(row(5, 'A@B.com', '+1 4255550101'))).toBe('duplicate: the same user is also on line 2');
    expect(t.lateRejects.get(2)).toBe('duplicate: the same user is also on line 5');
  });

  it('rejects both rows of a number given to two users', () => {
    const t = new DuplicateTracker();
    t.check(row(2, 'a@b.com', '+1 4255550100'));
    expect(t.check(row(3, 'c@d.com', '+1 4255550100'))).toBe('duplicate: the same number is given to another user on line 2');
    expect(t.lateRejects.get(2)).toBe('duplicate: the same number is given to another user on line 3');
  });

  it('lets distinct users and numbers through', () => {
    const t = new DuplicateTracker();
    for (let i = 0; i < 100; i++)
      expect(t.check(row(i + 2, `u${i}@b.com`, `+1 42555501${String(i).padStart(2, '0')}`))).toBeUndefined();
    expect(t.lateRejects.size).toBe(0);
  });
});
