/**
 * Blob triggers by container scan, the host's `LogsAndContainerScan` mode. In Azure our definitions may say
 * `source: 'EventGrid'`; locally there is no Event Grid, so every blob trigger scans, which delivers the same blobs.
 * Each blob version (name + ETag) is delivered once per function: receipts live in the `localhostblobreceipts`
 * table, like the host's receipts in `azure-webjobs-hosts`, so a restart does not redeliver. A handler that fails
 * is retried on the next scans, up to 5 attempts (host default `maxDequeueCount`), then the blob is reported on the
 * `webjobs-blobtrigger-poison` queue with the host's message shape.
 */

import { createHash } from 'node:crypto';

import { type TableClient, TableClient as Tables } from '@azure/data-tables';
import type { StorageBlobFunctionOptions } from '@azure/functions';
import { type BlobClient, BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';

import type { FunctionDefinition } from '../../shared/runtime/definitions';
import type { Invoker } from './invoker';
import { connectionFor, resolvePlaceholders, type SettingsSource } from './settings';
import type { HostLogger } from './types';

export const RECEIPTS_TABLE = 'localhostblobreceipts';
export const BLOB_POISON_QUEUE = 'webjobs-blobtrigger-poison';
const MAX_ATTEMPTS = 5;
const MAX_PARALLEL = 4;

interface BlobPattern {
  readonly container: string;
  readonly prefix: string;
  readonly regex: RegExp;
  readonly names: readonly string[];
}

interface Receipt {
  partitionKey: string;
  rowKey: string;
  functionName: string;
  blobPath: string;
  etag: string;
  status: 'running' | 'done' | 'poison';
  attempts: number;
}

/** A blob found by a scan: its name and version, the pattern's parameters, and what the trigger's metadata carries. */
interface ListedBlob {
  blobName: string;
  etag: string;
  params: Record<string, string>;
  properties: Record<string, unknown>;
  metadata: Record<string, string>;
}

interface Watch {
  readonly name: string;
  readonly options: StorageBlobFunctionOptions;
  readonly pattern: BlobPattern;
  readonly container: ContainerClient;
  readonly connection: string;
}

export function parseBlobPath(path: string): BlobPattern {
  const [container, ...rest] = path.replace(/^\/+/, '').split('/');
  if (!container || container.includes('{')) throw new Error(`blob path '${path}' must start with a container name`);
  const pattern = rest.join('/');
  const names: string[] = [];
  let source = '^';
  let last = 0;
  for (const match of pattern.matchAll(/\{(\w+)\}/g)) {
    source += escape(pattern.slice(last, match.index)) + '(.+?)';
    names.push(match[1]!);
    last = match.index + match[0].length;
  }
  source += `${escape(pattern.slice(last))}$`;
  const firstParam = pattern.indexOf('{');
  return {
    container,
    prefix: firstParam === -1 ? pattern : pattern.slice(0, firstParam),
    // Without parameters the path names one blob (or, like the host, every blob when the pattern is empty).
    regex: new RegExp(pattern === '' ? '^(.+)$' : source),
    names: pattern === '' ? ['name'] : names,
  };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const key = (text: string) => createHash('sha256').update(text).digest('hex');

export class BlobTriggers {
  private readonly watches: Watch[] = [];
  private receipts?: TableClient;
  private timer?: NodeJS.Timeout;
  private scanning?: Promise<void>;
  private stopped = false;
  /** Receipts known to be final, so a scan does not ask the table again for every old blob. */
  private readonly settled = new Set<string>();

  constructor(
    functions: readonly FunctionDefinition[],
    private readonly invoker: Invoker,
    private readonly logger: HostLogger,
    settings: SettingsSource,
    private readonly storage: string,
    private readonly pollIntervalMs: number,
  ) {
    for (const def of functions) {
      if (def.kind !== 'storageBlob') continue;
      const pattern = parseBlobPath(resolvePlaceholders(def.options.path, settings, `blob trigger '${def.name}'`));
      const connection = connectionFor(def.options.connection, settings, storage);
      const container = BlobServiceClient.fromConnectionString(connection).getContainerClient(pattern.container);
      this.watches.push({ name: def.name, options: def.options, pattern, container, connection });
    }
  }

  async start(): Promise<void> {
    if (this.watches.length === 0) return;
    this.receipts = Tables.fromConnectionString(this.storage, RECEIPTS_TABLE, { allowInsecureConnection: true });
    await this.receipts.createTable();
    for (const w of this.watches) {
      await w.container.createIfNotExists();
      this.logger.info(
        {
          functionName: w.name,
          container: w.pattern.container,
          prefix: w.pattern.prefix,
          source: w.options.source ?? 'LogsAndContainerScan',
        },
        `Blob trigger '${w.name}' scanning ${w.pattern.container}/${w.pattern.prefix}`,
      );
    }
    this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.scanning;
  }

  private loop(): void {
    if (this.stopped) return;
    this.scanning = this.scanAll()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'Blob scan failed; retrying on the next scan'))
      .finally(() => {
        this.scanning = undefined;
        if (!this.stopped) this.timer = setTimeout(() => this.loop(), this.pollIntervalMs);
      });
  }

  private async scanAll(): Promise<void> {
    for (const watch of this.watches) {
      if (this.stopped) return;
      const pending: {
        blobName: string;
        etag: string;
        params: Record<string, string>;
        properties: Record<string, unknown>;
        metadata: Record<string, string>;
      }[] = [];
      for await (const item of watch.container.listBlobsFlat({ prefix: watch.pattern.prefix, includeMetadata: true })) {
        const match = watch.pattern.regex.exec(item.name);
        if (!match) continue;
        const params = Object.fromEntries(watch.pattern.names.map((n, i) => [n, match[i + 1] ?? '']));
        pending.push({
          blobName: item.name,
          etag: item.properties.etag ?? '',
          params,
          properties: jsonProperties(item.properties),
          metadata: item.metadata ?? {},
        });
      }
      const queue = [...pending];
      const workers = Array.from({ length: Math.min(MAX_PARALLEL, queue.length) }, async () => {
        for (let next = queue.shift(); next && !this.stopped; next = queue.shift()) await this.deliver(watch, next);
      });
      await Promise.all(workers);
    }
  }

  private async deliver(watch: Watch, blob: ListedBlob): Promise<void> {
    const claimed = await this.claim(watch, blob);
    if (!claimed) return;
    const { receipt, cacheKey } = claimed;
    const client = watch.container.getBlobClient(blob.blobName);
    const content = await this.contentOf(watch, client, receipt);
    if (content === undefined) return;
    try {
      await this.invoker.invoke(
        {
          functionName: watch.name,
          triggerType: 'blobTrigger',
          triggerMetadata: {
            ...blob.params,
            blobTrigger: receipt.blobPath,
            uri: client.url,
            properties: blob.properties,
            metadata: blob.metadata,
          },
        },
        async (context) => watch.options.handler(content, context),
      );
      await this.receipts!.upsertEntity({ ...receipt, status: 'done' }, 'Replace');
      this.settled.add(cacheKey);
    } catch {
      if (receipt.attempts < MAX_ATTEMPTS) return; // retried on a later scan; the receipt keeps the attempt count
      await this.poison(watch, blob, receipt);
      this.settled.add(cacheKey);
    }
  }

  /** The blob version's receipt, written `running` with one more attempt; undefined when it was already settled. */
  private async claim(watch: Watch, blob: ListedBlob): Promise<{ receipt: Receipt; cacheKey: string } | undefined> {
    const receipts = this.receipts!;
    const blobPath = `${watch.pattern.container}/${blob.blobName}`;
    const partitionKey = key(watch.name.toLowerCase());
    const rowKey = key(`${blobPath}\n${blob.etag}`);
    const cacheKey = `${partitionKey}/${rowKey}`;
    if (this.settled.has(cacheKey)) return undefined;
    const existing = await receipts.getEntity<Receipt>(partitionKey, rowKey).catch((error: unknown) => {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    });
    if (existing && existing.status !== 'running') {
      this.settled.add(cacheKey);
      return undefined;
    }
    const attempts = (existing?.attempts ?? 0) + 1;
    const receipt: Receipt = {
      partitionKey,
      rowKey,
      functionName: watch.name,
      blobPath,
      etag: blob.etag,
      status: 'running',
      attempts,
    };
    await receipts.upsertEntity(receipt, 'Replace');
    return { receipt, cacheKey };
  }

  /**
   * sdkBinding (deferred binding): Azure hands the worker SDK clients instead of the content, so nothing is
   * downloaded; locally the handler gets the same pair of clients @azure/functions-extensions-blob provides.
   * Undefined when the blob was deleted between listing and download (its receipt is dropped).
   */
  private async contentOf(
    watch: Watch,
    client: BlobClient,
    receipt: Receipt,
  ): Promise<Buffer | { blobClient: BlobClient; containerClient: ContainerClient } | undefined> {
    if (watch.options.sdkBinding) return { blobClient: client, containerClient: watch.container };
    try {
      return await client.downloadToBuffer();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      await this.receipts!.deleteEntity(receipt.partitionKey, receipt.rowKey).catch(() => undefined);
      return undefined;
    }
  }

  /** After the last attempt: the receipt says poison and the host's poison message goes to its queue. */
  private async poison(watch: Watch, blob: ListedBlob, receipt: Receipt): Promise<void> {
    await this.receipts!.upsertEntity({ ...receipt, status: 'poison' }, 'Replace');
    const poison = new QueueClient(watch.connection, BLOB_POISON_QUEUE);
    await poison.createIfNotExists();
    const message = {
      Type: 'BlobTrigger',
      FunctionId: `Host.Functions.${watch.name}`,
      BlobType: 'BlockBlob',
      ContainerName: watch.pattern.container,
      BlobName: blob.blobName,
      ETag: blob.etag,
    };
    await poison.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
    this.logger.error(
      { functionName: watch.name, blobTrigger: receipt.blobPath, attempts: receipt.attempts },
      `Blob '${receipt.blobPath}' failed ${receipt.attempts} times; moved to the '${BLOB_POISON_QUEUE}' queue`,
    );
  }
}

function jsonProperties(properties: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(properties)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [
        k,
        v instanceof Date ? v.toISOString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
      ]),
  );
}
