import type { InvocationContext } from '@azure/functions';

import { chunkMessage, queueTriggerMetadata } from '../shared/phones/api';
import { processChunk } from '../shared/phones/processChunk';
import { queueFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';
import { phoneImportDeps } from '../shared/runtime/phoneImport';
import { PHONE_CHUNK_QUEUE } from '../shared/storage/phoneImportStore';

const MAX_DEQUEUE_COUNT = 5;

/** One chunk of a phone import: resolve, plan and apply its rows; the last chunk writes the results. */
export async function phoneImportWorkerHandler(message: unknown, context: InvocationContext): Promise<void> {
  const { services, log } = invocation(context, { job: 'phones' });
  const parsed = chunkMessage.safeParse(message);
  if (!parsed.success) {
    // Retrying a message that can never parse only fills the poison queue later; say why and drop it.
    log.error({ issues: parsed.error.issues.map((i) => i.message) }, 'phone import: unreadable chunk message dropped');
    return;
  }
  const meta = queueTriggerMetadata.safeParse(context.triggerMetadata);
  const owner = (meta.success ? meta.data.id : undefined) ?? context.invocationId;
  // host.json queues.maxDequeueCount (default 5): the last delivery records throttled rows as failed instead of retrying.
  const finalAttempt = (meta.success ? (meta.data.dequeueCount ?? 1) : 1) >= MAX_DEQUEUE_COUNT;
  const result = await processChunk(parsed.data, {
    ...phoneImportDeps(services, log.child({ importId: parsed.data.importId })),
    owner,
    finalAttempt,
  });
  log.info({ importId: parsed.data.importId, chunk: parsed.data.chunk, result }, 'phone import chunk handled');
}

export const phoneImportWorker = queueFunction('phoneImportWorker', {
  queueName: PHONE_CHUNK_QUEUE,
  connection: 'AzureWebJobsStorage',
  handler: phoneImportWorkerHandler,
});
