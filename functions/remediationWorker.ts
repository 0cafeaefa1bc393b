import type { InvocationContext } from '@azure/functions';
import { z } from 'zod';

import { drain, writeBack } from '../shared/remediation/run';
import { queueFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';
import { privilegedLookup, REMEDIATION_QUEUE, remediationRunDeps, runnerId } from '../shared/runtime/remediation';
import { ticketNotes } from '../shared/runtime/ticketCallback';

const message = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('drain'), subject: z.string().min(1) }),
  z.object({ kind: z.literal('writeBack'), subject: z.string().min(1), requestId: z.string().min(1) }),
]);

/** Later work of remediation: a subject whose action waits for a retry, a ticket note the ticket system missed. */
export async function remediationWorkerHandler(raw: unknown, context: InvocationContext): Promise<void> {
  const { services, log } = invocation(context, { job: 'remediation' });
  const parsed = message.safeParse(raw);
  if (!parsed.success) {
    log.error({ issues: parsed.error.issues.map((i) => i.message) }, 'remediation: unreadable queue message dropped');
    return;
  }
  const deps = remediationRunDeps(services, log, privilegedLookup(services), ticketNotes(services));
  const m = parsed.data;
  if (m.kind === 'drain') {
    const result = await drain(deps, m.subject, runnerId(context.invocationId));
    log.info({ subject: m.subject, result }, 'remediation queue drained');
    return;
  }
  const request = await deps.store.get(m.subject, m.requestId);
  if (request) await writeBack(deps, request);
}

export const remediationWorker = queueFunction('remediationWorker', {
  queueName: REMEDIATION_QUEUE,
  connection: 'AzureWebJobsStorage',
  handler: remediationWorkerHandler,
});
