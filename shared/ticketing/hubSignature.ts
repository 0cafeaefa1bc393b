/**
 * `X-Hub-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body, hex-encoded. Jira Cloud admin webhooks with a secret
 * sign this way (the WebSub `method=signature` format, GitHub's construction under GitHub's older header name).
 * There is no timestamp in it, so replay protection comes from deduplicating `X-Atlassian-Webhook-Identifier` and
 * re-reading the issue before acting.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';

export const HUB_SIGNATURE_HEADER = 'x-hub-signature';
const PREFIX = 'sha256=';

const toBuffer = (body: string | Uint8Array): Buffer =>
  typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);

export function signHub(secret: string, body: string | Uint8Array): string {
  if (secret.length === 0) throw new Error('A hub signature secret must not be empty');
  return PREFIX + createHmac('sha256', secret).update(toBuffer(body)).digest('hex');
}

/**
 * True when `header` is `sha256=<hex>` matching the body under any of `secrets` (several during a rotation).
 * Constant-time per comparison; a missing, malformed or other-algorithm header is simply false.
 */
export function verifyHub(
  secrets: string | readonly string[],
  header: string | null | undefined,
  body: string | Uint8Array,
): boolean {
  if (typeof header !== 'string') return false;
  const value = header.trim();
  if (!value.toLowerCase().startsWith(PREFIX) || !/^[0-9a-f]{64}$/i.test(value.slice(PREFIX.length))) return false;
  const given = Buffer.from(value.slice(PREFIX.length), 'hex');
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list.length === 0 || list.some((s) => s.length === 0)) throw new Error('Hub signature secrets must not be empty');
  return list.some((secret) => {
    const expected = createHmac('sha256', secret).update(toBuffer(body)).digest();
    return timingSafeEqual(given, expected);
  });
}
