import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { ACTIONS } from './actions';
import type { NewRequest, StoredRequest } from './ports';

/** `POST /api/remediations` body: the same path as an approved ticket, without a ticket system. */
export const remediationBody = z
  .object({
    userId: z.string().trim().min(1).max(320),
    action: z.enum(ACTIONS),
    reason: z.string().trim().min(3, 'say why (it goes into the audit log)').max(2000),
  })
  .strict();

export const idempotencyKeyHeader = z
  .string()
  .trim()
  .min(8)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export function adminRequest(
  body: z.output<typeof remediationBody>,
  actor: string,
  idempotencyKey: string | undefined,
  now: Date,
): NewRequest {
  return {
    subject: `user:${body.userId.toLowerCase()}`,
    // Without a key every call is a new request; with one, a retried call finds the first.
    idempotencyKey: `admin:${actor}:${idempotencyKey ?? randomUUID()}`,
    action: body.action,
    userId: body.userId,
    approvedBy: actor,
    reason: body.reason,
    approvedAt: now.toISOString(),
    source: 'admin',
  };
}

/** The request as the API shows it: the retrieval link, never a secret. */
export function requestView(r: StoredRequest, publicBaseUrl: string): Record<string, unknown> {
  return {
    requestId: r.requestId,
    action: r.action,
    userId: r.userId,
    state: r.state,
    attempts: r.attempts,
    approvedBy: r.approvedBy,
    approvedAt: r.approvedAt,
    reason: r.reason,
    source: r.source,
    ...(r.ticket ? { ticket: r.ticket } : {}),
    ...(r.retryAt ? { retryAt: r.retryAt } : {}),
    ...(r.outcome
      ? {
          outcome: {
            ...r.outcome,
            ...(r.outcome.retrievalId ? { retrievalUrl: `${publicBaseUrl}/api/taps/${r.outcome.retrievalId}` } : {}),
          },
        }
      : {}),
    ...(r.writeBack ? { writeBack: r.writeBack } : {}),
  };
}
