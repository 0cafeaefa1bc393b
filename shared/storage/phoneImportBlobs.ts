import { Readable } from 'node:stream';

import type { ContainerClient } from '@azure/storage-blob';

import type { ImportFiles } from '../phones/ports';
import { statusOf } from './storageErrors';

/**
 * The `phone-imports` container for the import job: streamed reads (the file is never held whole in memory),
 * streamed writes for the results file, and moves between incoming/ processed/ failed/ as a server-side copy.
 */
export class BlobImportFiles implements ImportFiles {
  constructor(private readonly container: () => Promise<ContainerClient>) {}

  async size(path: string): Promise<number | undefined> {
    const c = await this.container();
    try {
      const props = await c.getBlobClient(path).getProperties();
      return props.contentLength ?? 0;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async *read(path: string): AsyncIterable<Uint8Array> {
    const c = await this.container();
    const response = await c.getBlobClient(path).download();
    const body = response.readableStreamBody;
    if (!body) return;
    for await (const chunk of body as AsyncIterable<Buffer | string>)
      yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  }

  async write(path: string, body: string | AsyncIterable<string | Uint8Array>, contentType: string): Promise<void> {
    const c = await this.container();
    const blob = c.getBlockBlobClient(path);
    const blobHTTPHeaders = { blobContentType: contentType };
    if (typeof body === 'string') {
      await blob.upload(body, Buffer.byteLength(body), { blobHTTPHeaders });
      return;
    }
    const stream = Readable.from(
      (async function* () {
        for await (const s of body) {
          if (typeof s === 'string') {
            if (s !== '') yield Buffer.from(s, 'utf8');
          } else if (s.byteLength > 0) yield Buffer.isBuffer(s) ? s : Buffer.from(s.buffer, s.byteOffset, s.byteLength);
        }
      })(),
    );
    await blob.uploadStream(stream, 4 * 1024 * 1024, 2, { blobHTTPHeaders });
  }

  async move(from: string, to: string): Promise<void> {
    if (from === to) return;
    const c = await this.container();
    const source = c.getBlobClient(from);
    const target = c.getBlobClient(to);
    if (!(await source.exists())) {
      if (await target.exists()) return;
      throw new Error(`cannot move ${from}: the blob does not exist`);
    }
    try {
      // Same-account copy: usually completes at once for block blobs; poll to be sure.
      const poller = await target.beginCopyFromURL(source.url, { intervalInMs: 200 });
      await poller.pollUntilDone();
    } catch (err) {
      // Another finisher moved it between our check and the copy.
      if (statusOf(err) === 404 && (await target.exists())) return;
      throw err;
    }
    await source.deleteIfExists();
  }
}
