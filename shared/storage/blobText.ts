import type { BlobClient } from '@azure/storage-blob';

import { orUndefined } from './storageErrors';

/**
 * A blob's whole text from one GET, so the answer is one version of the blob even while another writer replaces it
 * (a run checkpointing its record while the API reads it). `downloadToBuffer` reads the size first and then the range,
 * so an overwrite in between returns the new blob cut to the old length: JSON that no longer parses.
 * `undefined` when the blob does not exist.
 */
export async function downloadText(blob: BlobClient): Promise<string | undefined> {
  const response = await orUndefined(blob.download(), 404);
  const body = response?.readableStreamBody;
  if (!body) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
