import { describe, expect, it } from 'vitest';

import { signHub, verifyHub } from '../../shared/ticketing/hubSignature';

// GitHub's documented example for the same construction (HMAC-SHA256 over the raw body, hex).
const SECRET = "It's a Secret to Everybody";
const BODY = 'Hello, World!';
const EXPECTED = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('X-Hub-Signature (Jira admin webhooks)', () => {
  it('signs the documented test vector', () => {
    expect(signHub(SECRET, BODY)).toBe(EXPECTED);
    expect(signHub(SECRET, Buffer.from(BODY))).toBe(EXPECTED);
  });

  it('verifies it, in either hex case, and with a rotated secret list', () => {
    expect(verifyHub(SECRET, EXPECTED, BODY)).toBe(true);
    expect(verifyHub(SECRET, EXPECTED.toUpperCase().replace('SHA256=', 'sha256='), BODY)).toBe(true);
    expect(verifyHub(['old-secret', SECRET], EXPECTED, BODY)).toBe(true);
  });

  it('refuses a tampered body, another secret, and malformed or missing headers', () => {
    expect(verifyHub(SECRET, EXPECTED, 'Hello, World?')).toBe(false);
    expect(verifyHub('another secret', EXPECTED, BODY)).toBe(false);
    for (const header of [undefined, null, '', EXPECTED.slice(7), `sha1=${EXPECTED.slice(7)}`, `${EXPECTED}00`, 'sha256=zz']) {
      expect(verifyHub(SECRET, header, BODY)).toBe(false);
    }
  });

  it('refuses to run with an empty secret', () => {
    expect(() => verifyHub('', EXPECTED, BODY)).toThrow();
    expect(() => verifyHub([], EXPECTED, BODY)).toThrow();
    expect(() => signHub('', BODY)).toThrow();
  });
});
