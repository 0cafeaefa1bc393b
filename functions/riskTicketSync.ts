import type { InvocationContext } from '@azure/functions';
import { z } from 'zod';

import { syncProvider } from '../shared/risk/providerSync';
import { queueFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';
import { riskDeps } from '../shared/runtime/risk';
import { RISK_SYNC_QUEUE } from '../shared/storage/riskState';

const message = z.strictObject({ ticketId: z.string().min(1).max(200), attempt: z.number().int().min(0).max(1000) });

/** Retries a ticket's provider calls after an outage; the next failure schedules the next retry with more backoff. */
export async function riskTicketSyncHandler(payload: unknown, context: InvocationContext): Promise<void> {
  const { services, log } = invocation(context, { job: 'risk' });
  const parsed = message.safeParse(payload);
  if (!parsed.success) {
    // A message that can never parse would only reach the poison queue after five tries; say why and drop it.
    log.error({ issues: parsed.error.issues.map((i) => i.message) }, 'risk ticket sync: unreadable message dropped');
    return;
  }
  const outcome = await syncProvider(riskDeps(services, log), parsed.data.ticketId, parsed.data.attempt);
  log.info({ ...parsed.data, outcome }, 'risk ticket sync');
}

export const riskTicketSync = queueFunction('riskTicketSync', {
  queueName: RISK_SYNC_QUEUE,
  connection: 'AzureWebJobsStorage',
  handler: riskTicketSyncHandler,
});
