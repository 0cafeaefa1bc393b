/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, spec/standard-webhooks.md): the sender signs
 * `<webhook-id>.<webhook-timestamp>.<raw body>` with HMAC-SHA256 and sends
 *
 *   webhook-id:        a message id, stable across retries, so receivers dedupe on it
 *   webhook-timestamp: unix seconds
 *   webhook-signature: `v1,<base64>` entries separated by spaces (several while a secret is being rotated)
 *
 * Secrets are `whsec_<base64 of 24-64 random bytes>`. Receivers verify against the raw bytes before parsing, compare in
 * constant time, accept any listed signature made with any of their current secrets, and refuse timestamps more than
 * five minutes away from their clock in either direction (the reference libraries' WEBHOOK_TOLERANCE_IN_SECONDS).
 * Replays inside the window are the receiver's job: it keeps the ids it has seen for at least the tolerance.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
export const SECRET_PREFIX = 'whsec_';
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
/** Bounds on what we read from headers before doing any work: ids and signature lists are short in practice. */
const MAX_ID_LENGTH = 256;
const MAX_SIGNATURE_HEADER_LENGTH = 4096;

export const HEADER_ID = 'webhook-id';
export const HEADER_TIMESTAMP = 'webhook-timestamp';
export const HEADER_SIGNATURE = 'webhook-signature';

// A type alias, not an interface, so it is assignable to a plain header record.
export type StandardWebhookHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

/** Fetch `Headers` (what `HttpRequest.headers` is) or a plain record such as node's `IncomingMessage.headers`. */
export type HeaderSource =
  { get(name: string): string | null } | Readonly<Record<string, string | readonly string[] | undefined>>;

export type VerifyFailure =
  'missing-headers' | 'invalid-timestamp' | 'timestamp-too-old' | 'timestamp-too-new' | 'no-valid-signature';

export type VerifyResult =
  | { readonly ok: true; readonly id: string; readonly timestamp: number }
  | { readonly ok: false; readonly reason: VerifyFailure; readonly message: string };

export class WebhookSecretError extends Error {
  override readonly name = 'WebhookSecretError';
}

/**
 * The key bytes of a `whsec_...` secret. The prefix is optional on input, as in the reference libraries, but the key
 * must be base64 of 24-64 bytes: a short or mistyped secret is refused rather than silently weakening every signature.
 */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new WebhookSecretError(`A webhook secret must be '${SECRET_PREFIX}' followed by base64`);
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new WebhookSecretError(
      `A webhook secret must hold ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes of key, this one has ${key.length}`,
    );
  }
  return key;
}

/** A fresh random secret in the spec's format (32 bytes). */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

const toBuffer = (body: string | Uint8Array): Buffer =>
  typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);

function mac(key: Buffer, id: string, timestamp: number | string, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(toBuffer(body)).digest();
}

/** One `v1,<base64>` signature of a message. */
export function sign(secret: string, id: string, timestamp: number, body: string | Uint8Array): string {
  if (!Number.isInteger(timestamp) || timestamp < 0) throw new RangeError('timestamp must be whole unix seconds');
  return `v1,${mac(secretKey(secret), id, timestamp, body).toString('base64')}`;
}

/**
 * The three headers for a message. Several secrets sign the same message during a rotation, so receivers that know
 * either the old or the new secret accept it.
 */
export function signHeaders(
  secrets: string | readonly string[],
  id: string,
  body: string | Uint8Array,
  nowMs: number = Date.now(),
): StandardWebhookHeaders {
  if (id.length === 0 || id.length > MAX_ID_LENGTH) throw new RangeError(`webhook-id must be 1-${MAX_ID_LENGTH} characters`);
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list.length === 0) throw new WebhookSecretError('At least one webhook secret is needed to sign');
  const timestamp = Math.floor(nowMs / 1000);
  return {
    [HEADER_ID]: id,
    [HEADER_TIMESTAMP]: String(timestamp),
    [HEADER_SIGNATURE]: list.map((s) => sign(s, id, timestamp, body)).join(' '),
  };
}

export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(', ') : (value as string | undefined);
}

const fail = (reason: VerifyFailure, message: string): VerifyResult => ({ ok: false, reason, message });

/**
 * Verifies a delivery against the raw body, before anything parses it. `secrets` are every secret currently valid
 * (old and new during a rotation). Returns the message id to dedupe on; never throws for hostile input (a malformed
 * secret in our own configuration still throws, because that is our bug, not the sender's).
 */
export function verify(
  secrets: string | readonly string[],
  headers: HeaderSource,
  body: string | Uint8Array,
  nowMs: number = Date.now(),
  toleranceSeconds: number = WEBHOOK_TOLERANCE_SECONDS,
): VerifyResult {
  const keys = (typeof secrets === 'string' ? [secrets] : secrets).map(secretKey);
  if (keys.length === 0) throw new WebhookSecretError('At least one webhook secret is needed to verify');
  const id = headerValue(headers, HEADER_ID)?.trim();
  const rawTimestamp = headerValue(headers, HEADER_TIMESTAMP)?.trim();
  const signatureHeader = headerValue(headers, HEADER_SIGNATURE)?.trim();
  if (!id || !rawTimestamp || !signatureHeader) {
    return fail('missing-headers', `${HEADER_ID}, ${HEADER_TIMESTAMP} and ${HEADER_SIGNATURE} are all required`);
  }
  if (id.length > MAX_ID_LENGTH || signatureHeader.length > MAX_SIGNATURE_HEADER_LENGTH) {
    return fail('missing-headers', 'webhook headers are too long');
  }
  if (!/^\d{1,12}$/.test(rawTimestamp)) return fail('invalid-timestamp', `${HEADER_TIMESTAMP} must be unix seconds`);
  const timestamp = Number(rawTimestamp);
  const now = Math.floor(nowMs / 1000);
  if (timestamp < now - toleranceSeconds) return fail('timestamp-too-old', 'the message timestamp is too old');
  if (timestamp > now + toleranceSeconds) return fail('timestamp-too-new', 'the message timestamp is in the future');

  const candidates = signatureHeader
    .split(' ')
    .map((entry) => entry.split(','))
    .filter((parts): parts is [string, string] => parts.length === 2 && parts[0] === 'v1')
    .map(([, value]) => Buffer.from(value, 'base64'))
    .filter((value) => value.length === 32);
  for (const key of keys) {
    const expected = mac(key, id, rawTimestamp, body);
    // Constant time per comparison: how many bytes of a forged signature match leaks nothing.
    if (candidates.some((candidate) => timingSafeEqual(candidate, expected))) return { ok: true, id, timestamp };
  }
  return fail('no-valid-signature', 'no signature matches the message');
}
