import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { maskPhone } from '../../shared/phones/mask';

describe('maskPhone', () => {
  it('keeps exactly the last four digits and the extension', () => {
    expect(maskPhone('+1 5555551234x123')).toBe('+* ******1234x123');
    expect(maskPhone('+1 425 555 0100 ext. 12')).toBe('+* *** *** 0100 ext. 12');
    expect(maskPhone('0044 20 7946 0958').replace(/\D/g, '')).toBe('0958');
  });

  it('keeps the layout, so a masked number still reads like the one given', () => {
    expect(maskPhone('(425) 555-0142')).toBe('(***) ***-0142');
  });

  it('never shows more than four digits of a number', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+?[0-9 ()-]{0,30}$/), (phone) => {
        const shown = maskPhone(phone).replace(/\D/g, '');
        expect(shown.length).toBeLessThanOrEqual(4);
        expect(phone.replace(/\D/g, '').endsWith(shown)).toBe(true);
      }),
    );
  });
});
