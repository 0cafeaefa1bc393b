import { createRequire } from 'node:module';

import type { InvocationContext } from '@azure/functions';
import type * as ExtensionsBase from '@azure/functions-extensions-base';

import { blobTriggerMetadata, blobUploadFacts, csvFileName } from '../shared/phones/api';
import { INCOMING, PHONE_CONTAINER } from '../shared/phones/files';
import { importFile } from '../shared/phones/importFile';
import { blobFunction } from '../shared/runtime/definitions';
import { invocation } from '../shared/runtime/invocation';
import { phoneImportDeps } from '../shared/runtime/phoneImport';

/**
 * A CSV dropped under phone-imports/incoming/. `sdkBinding` (deferred binding) keeps the host from downloading the
 * blob into the worker: the job streams it itself, so a 200 MB upload is rejected by size without being read. The
 * factory below only satisfies the worker's deferred-binding lookup; the blob's path comes from trigger metadata.
 */
// Loaded as CommonJS on purpose: @azure/functions resolves the factory through the CJS build of this package, and
// its ESM build exports only a default, so the shared singleton is the CJS one.
const { ResourceFactoryResolver } = createRequire(__filename)('@azure/functions-extensions-base') as typeof ExtensionsBase;
const resolver = ResourceFactoryResolver.getInstance();
if (!resolver.hasResourceFactory('AzureStorageBlobs'))
  resolver.registerResourceFactory('AzureStorageBlobs', () => ({ deferred: true }));

export async function phoneImportBlobHandler(_blob: unknown, context: InvocationContext): Promise<void> {
  const meta = blobTriggerMetadata.parse(context.triggerMetadata);
  const path = meta.blobTrigger.replace(new RegExp(`^/?${PHONE_CONTAINER}/`), '');
  const file = path.slice(INCOMING.length);
  const { services, log } = invocation(context, { job: 'phones', file });
  if (!csvFileName.safeParse(file).success) {
    log.warn({ blob: path }, 'phone import: blob name refused (one .csv file name directly under incoming/ expected)');
    return;
  }
  const upload = blobUploadFacts(meta);
  const result = await importFile({ path, file, upload }, { ...phoneImportDeps(services, log), actor: `blob:${file}` });
  log.info(
    { outcome: result.outcome, ...('record' in result && { importId: result.record.importId, status: result.record.status }) },
    'phone import file handled',
  );
}

export const phoneImportBlob = blobFunction('phoneImportBlob', {
  path: `${PHONE_CONTAINER}/${INCOMING}{name}`,
  connection: 'AzureWebJobsStorage',
  // Flex Consumption supports only the Event Grid-based blob trigger (no container polling).
  source: 'EventGrid',
  sdkBinding: true,
  handler: phoneImportBlobHandler,
});
