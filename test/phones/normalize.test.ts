import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { normalizePhone, phoneKey, samePhone } from '../../shared/phones/normalize';

const value = (raw: string, region?: string) => {
  const r = normalizePhone(raw, region);
  return r.ok ? r.value : `!${r.reason}`;
};

describe('normalizePhone', () => {
  it('keeps an already normalised Graph number as it is', () => {
    expect(value('+1 4255550100')).toBe('+1 4255550100');
  });

  it('reads a national US format with the default region', () => {
    expect(value('(425) 555-0100', 'US')).toBe('+1 4255550100');
    expect(value('425.555.0100', 'US')).toBe('+1 4255550100');
  });

  it('reads the 00 international prefix as +', () => {
    expect(value('0044 20 7946 0958')).toBe('+44 2079460958');
    expect(value('0044 (0)20 7946 0958', 'US')).toBe('+44 2079460958');
  });

  it('keeps extensions as x{digits}', () => {
    expect(value('+1 425 555 0100 x12')).toBe('+1 4255550100x12');
    expect(value('+1 425 555 0100 ext. 12')).toBe('+1 4255550100x12');
    expect(value('+1 425 555 0100 extension 7')).toBe('+1 4255550100x7');
  });

  it('uses the default region for a national number of another country', () => {
    expect(value('07911 123456', 'GB')).toBe('+44 7911123456');
  });

  it('rejects a national number when no default region is configured', () => {
    expect(value('(425) 555-0100')).toMatch(/^!.*no country code.*PHONE_DEFAULT_REGION/);
  });

  it('rejects letters, vanity numbers and empty cells', () => {
    expect(value('abc', 'US')).toMatch(/^!.*letters/);
    expect(value('1-800-FLOWERS', 'US')).toMatch(/^!.*letters/);
    expect(value('   ', 'US')).toBe('!phone number is empty');
  });

  it('rejects numbers that cannot exist', () => {
    expect(value('+1 123')).toMatch(/^!/);
    expect(value('+999 1234567')).toMatch(/^!/);
    expect(value('+1 0255550100')).toMatch(/^!/);
  });

  it('is idempotent: a normalised number normalises to itself (property)', () => {
    const digits = fc.stringMatching(/^[2-9]\d{2}[2-9]\d{6}$/);
    fc.assert(
      fc.property(digits, fc.constantFrom('', ' ', '-', '.'), (n, sep) => {
        const first = normalizePhone(`(${n.slice(0, 3)})${sep}${n.slice(3, 6)}${sep}${n.slice(6)}`, 'US');
        if (!first.ok) return true;
        const second = normalizePhone(first.value);
        return second.ok && second.value === first.value && /^\+\d{1,3} \d+(x\d+)?$/.test(first.value);
      }),
      { numRuns: 300 },
    );
  });
});

describe('samePhone', () => {
  it('matches Graph numbers regardless of spacing and extension spelling', () => {
    expect(samePhone('+1 425 555 0100', '+1 4255550100')).toBe(true);
    expect(samePhone('+1 4255550100x12', '+1 4255550100x12')).toBe(true);
    expect(samePhone('+1 4255550100', '+1 4255550101')).toBe(false);
    expect(samePhone(null, '+1 4255550100')).toBe(false);
  });

  it('keys differ when only the extension differs', () => {
    expect(phoneKey('+1 4255550100x1')).not.toBe(phoneKey('+1 4255550100'));
  });
});
