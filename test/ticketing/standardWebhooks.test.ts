import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  generateSecret,
  secretKey,
  sign,
  signHeaders,
  verify,
  WEBHOOK_TOLERANCE_SECONDS,
  WebhookSecretError,
} from '../../shared/ticketing/standardWebhooks';

// The Standard Webhooks specification's own test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const AT_VECTOR_MS = VECTOR.timestamp * 1000;
const vectorHeaders = (overrides: Record<string, string> = {}) => ({
  'webhook-id': VECTOR.id,
  'webhook-timestamp': String(VECTOR.timestamp),
  'webhook-signature': VECTOR.signature,
  ...overrides,
});

describe('Standard Webhooks signatures', () => {
  it('signs the specification test vector', () => {
    expect(sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
    expect(sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, Buffer.from(VECTOR.body))).toBe(VECTOR.signature);
  });

  it('verifies the specification test vector from a plain record and from fetch Headers', () => {
    expect(verify(VECTOR.secret, vectorHeaders(), VECTOR.body, AT_VECTOR_MS)).toEqual({
      ok: true,
      id: VECTOR.id,
      timestamp: VECTOR.timestamp,
    });
    expect(verify(VECTOR.secret, new Headers(vectorHeaders()), VECTOR.body, AT_VECTOR_MS).ok).toBe(true);
    expect(verify(VECTOR.secret, { 'Webhook-Id': VECTOR.id, ...vectorHeaders() }, VECTOR.body, AT_VECTOR_MS).ok).toBe(true);
  });

  it('refuses a tampered body, id or timestamp', () => {
    expect(verify(VECTOR.secret, vectorHeaders(), '{"test": 2432232315}', AT_VECTOR_MS)).toMatchObject({
      ok: false,
      reason: 'no-valid-signature',
    });
    expect(verify(VECTOR.secret, vectorHeaders({ 'webhook-id': 'msg_other' }), VECTOR.body, AT_VECTOR_MS).ok).toBe(false);
    const shifted = vectorHeaders({ 'webhook-timestamp': String(VECTOR.timestamp + 1) });
    expect(verify(VECTOR.secret, shifted, VECTOR.body, AT_VECTOR_MS)).toMatchObject({ reason: 'no-valid-signature' });
  });

  it('refuses another secret, and a signature under another version tag', () => {
    expect(verify(generateSecret(), vectorHeaders(), VECTOR.body, AT_VECTOR_MS).ok).toBe(false);
    const v1a = vectorHeaders({ 'webhook-signature': VECTOR.signature.replace('v1,', 'v1a,') });
    expect(verify(VECTOR.secret, v1a, VECTOR.body, AT_VECTOR_MS).ok).toBe(false);
  });

  it('accepts timestamps up to five minutes away in either direction, and no further', () => {
    const at = (offsetSeconds: number) => AT_VECTOR_MS + offsetSeconds * 1000;
    expect(verify(VECTOR.secret, vectorHeaders(), VECTOR.body, at(WEBHOOK_TOLERANCE_SECONDS)).ok).toBe(true);
    expect(verify(VECTOR.secret, vectorHeaders(), VECTOR.body, at(-WEBHOOK_TOLERANCE_SECONDS)).ok).toBe(true);
    expect(verify(VECTOR.secret, vectorHeaders(), VECTOR.body, at(WEBHOOK_TOLERANCE_SECONDS + 1))).toMatchObject({
      reason: 'timestamp-too-old',
    });
    expect(verify(VECTOR.secret, vectorHeaders(), VECTOR.body, at(-WEBHOOK_TOLERANCE_SECONDS - 1))).toMatchObject({
      reason: 'timestamp-too-new',
    });
  });

  it('refuses missing headers and timestamps that are not unix seconds', () => {
    const { 'webhook-signature': _sig, ...unsigned } = vectorHeaders();
    expect(verify(VECTOR.secret, unsigned, VECTOR.body, AT_VECTOR_MS)).toMatchObject({ reason: 'missing-headers' });
    for (const bad of ['1614265330.5', '-1614265330', 'Thu, 25 Feb 2021 15:02:10 GMT', '1e9']) {
      expect(verify(VECTOR.secret, vectorHeaders({ 'webhook-timestamp': bad }), VECTOR.body, AT_VECTOR_MS)).toMatchObject({
        reason: 'invalid-timestamp',
      });
    }
  });

  it('accepts any listed signature and any current secret, so a secret can be rotated on either side', () => {
    const next = generateSecret();
    const both = signHeaders([VECTOR.secret, next], 'msg_rotation', VECTOR.body, AT_VECTOR_MS);
    expect(both['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verify(VECTOR.secret, both, VECTOR.body, AT_VECTOR_MS).ok).toBe(true);
    expect(verify(next, both, VECTOR.body, AT_VECTOR_MS).ok).toBe(true);
    const newOnly = signHeaders(next, 'msg_rotation', VECTOR.body, AT_VECTOR_MS);
    expect(verify([VECTOR.secret, next], newOnly, VECTOR.body, AT_VECTOR_MS).ok).toBe(true);
    expect(verify(VECTOR.secret, newOnly, VECTOR.body, AT_VECTOR_MS).ok).toBe(false);
    // Garbage entries around a valid one do not hide it.
    const noisy = { ...newOnly, 'webhook-signature': `v1,AAAA v2,xyz ${newOnly['webhook-signature']} junk` };
    expect(verify(next, noisy, VECTOR.body, AT_VECTOR_MS).ok).toBe(true);
  });

  it('refuses malformed secrets in our own configuration loudly', () => {
    expect(() => secretKey('whsec_c2hvcnQ=')).toThrow(WebhookSecretError);
    expect(() => secretKey('whsec_not base64!')).toThrow(WebhookSecretError);
    expect(() => verify([], vectorHeaders(), VECTOR.body, AT_VECTOR_MS)).toThrow(WebhookSecretError);
    expect(secretKey(VECTOR.secret)).toHaveLength(24);
    expect(secretKey(VECTOR.secret.slice('whsec_'.length))).toEqual(secretKey(VECTOR.secret));
  });

  it('round-trips any body and id, and any single-byte change breaks it', () => {
    const secret = generateSecret();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.stringMatching(/^[\w.:-]{1,64}$/), fc.nat(), (body, id, flip) => {
        const headers = signHeaders(secret, id, body, AT_VECTOR_MS);
        expect(verify(secret, headers, body, AT_VECTOR_MS).ok).toBe(true);
        if (body.length === 0) return;
        const tampered = Uint8Array.from(body);
        const at = flip % body.length;
        tampered[at] = (tampered[at]! + 1) % 256;
        expect(verify(secret, headers, tampered, AT_VECTOR_MS).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
