import type { InvocationContext } from '@azure/functions';

import { chunkMessage } from '../shared/phones/api';
import { failChunk } from '../shared/phones/recover';
import { queueFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';
import { phoneImportDeps } from '../shared/runtime/phoneImport';
import { PHONE_CHUNK_POISON_QUEUE } from '../shared/storage/phoneImportStore';

/**
 * A chunk message whose every delivery failed (the host moved it to the poison queue): its rows are recorded failed
 * with the reason and the import is finished, instead of staying `running` forever.
 */
export async function phoneImportPoisonHandler(message: unknown, context: InvocationContext): Promise<void> {
  const { services, log } = invocation(context, { job: 'phones' });
  const parsed = chunkMessage.safeParse(message);
  if (!parsed.success) {
    log.error({ issues: parsed.error.issues.map((i) => i.message) }, 'phone import: unreadable poison message dropped');
    return;
  }
  const result = await failChunk(
    parsed.data,
    'the chunk failed on every delivery and was moved to the poison queue (see the function logs of phoneImportWorker)',
    phoneImportDeps(services, log.child({ importId: parsed.data.importId })),
  );
  log.info({ importId: parsed.data.importId, chunk: parsed.data.chunk, result }, 'phone import poison chunk handled');
}

export const phoneImportPoison = queueFunction('phoneImportPoison', {
  queueName: PHONE_CHUNK_POISON_QUEUE,
  connection: 'AzureWebJobsStorage',
  handler: phoneImportPoisonHandler,
});
