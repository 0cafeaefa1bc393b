/**
 * Real Azurite and the Graph sandbox (demo tenant) for the phone import: use cases run with the real adapters,
 * chunk messages go through the real queue and are drained here the way the queue trigger would deliver them.
 */

import { Writable } from 'node:stream';

import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll } from 'vitest';

import { type AzuriteInstance, startAzurite } from '../../local/azurite';
import { type GraphSandbox, type SandboxKnobs, startGraphSandbox } from '../../local/sandbox';
import { loadConfig } from '../../shared/config';
import { createLogger } from '../../shared/log';
import { PHONE_CONTAINER } from '../../shared/phones/files';
import { importFile, type ImportFileInput, type ImportFileResult } from '../../shared/phones/importFile';
import type { PhoneSettings } from '../../shared/phones/ports';
import { processChunk, type ProcessChunkDeps, type ProcessChunkResult } from '../../shared/phones/processChunk';
import { phoneImportDeps } from '../../shared/runtime/phoneImport';
import { buildServices, type Services } from '../../shared/runtime/services';
import { PHONE_CHUNK_QUEUE } from '../../shared/storage/phoneImportStore';

export interface PhoneHarness {
  readonly azurite: AzuriteInstance;
  readonly sandbox: GraphSandbox;
  readonly services: Services;
  /** Every log line written by the job, as JSON text. */
  readonly logLines: string[];
  deps(settings?: Partial<PhoneSettings>): Omit<ProcessChunkDeps, 'owner'> & ReturnType<typeof phoneImportDeps>;
  upload(path: string, body: string | Uint8Array): Promise<void>;
  download(path: string): Promise<string | undefined>;
  /** An import's output by its per-import path without the id: `results/x.results.csv` finds `results/<importId>/x.results.csv` (the newest). */
  output(path: string): Promise<string | undefined>;
  run(input: ImportFileInput, settings?: Partial<PhoneSettings>): Promise<ImportFileResult>;
  drain(
    settings?: Partial<PhoneSettings>,
    onMessage?: (deps: ProcessChunkDeps) => ProcessChunkDeps,
  ): Promise<ProcessChunkResult[]>;
  /** Receives queued chunk messages without processing them (for crash and concurrency tests). */
  take(): Promise<{ message: { importId: string; chunk: number; attempt?: number }; owner: string; remove(): Promise<void> }[]>;
  graph<T>(path: string): Promise<T>;
  sandboxPost(path: string, body: unknown): Promise<void>;
  stats(): Promise<{ requests: number; subRequests: number; throttled: number; byRouteInBatch: Record<string, number> }>;
}

/** The app settings the harness runs the phone import with (also for child processes that run the compiled app). */
export function harnessSettings(azurite: AzuriteInstance, sandbox: GraphSandbox): Record<string, string> {
  return {
    AzureWebJobsStorage: azurite.connectionString,
    GRAPH_BASE_URL: sandbox.url,
    GRAPH_AUTH: 'static',
    GRAPH_STATIC_TOKEN: 'phones-tests',
    GRAPH_MAX_BACKOFF_MS: '300',
    PHONE_DEFAULT_REGION: 'US',
    PHONE_CHUNK_SIZE: '5',
  };
}

/** `settings` are added to (or override) `harnessSettings`. */
export function usePhoneHarness(
  knobs: Partial<SandboxKnobs> = {},
  settings: Readonly<Record<string, string>> = {},
): { readonly current: PhoneHarness } {
  let h: PhoneHarness | undefined;
  let stopAll: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const [azurite, sandbox] = await Promise.all([startAzurite({ inMemory: true }), startGraphSandbox({ knobs })]);
    const config = loadConfig({ ...harnessSettings(azurite, sandbox), ...settings });
    const services = buildServices(config);
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    const log = createLogger('debug', sink);
    const queue = new QueueClient(azurite.connectionString, PHONE_CHUNK_QUEUE);
    const deps = (settings: Partial<PhoneSettings> = {}) => {
      const base = phoneImportDeps(services, log);
      return { ...base, settings: { ...base.settings, ...settings } };
    };
    const container = () => services.storage.container(PHONE_CONTAINER);
    const auth = { authorization: 'Bearer phones-tests' };
    h = {
      azurite,
      sandbox,
      services,
      logLines,
      deps,
      async upload(path, body) {
        const c = await container();
        const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
        await c.getBlockBlobClient(path).upload(data, data.byteLength);
      },
      async download(path) {
        const c = await container();
        const blob = c.getBlobClient(path);
        if (!(await blob.exists())) return undefined;
        return (await blob.downloadToBuffer()).toString('utf8');
      },
      async output(path) {
        const c = await container();
        const [folder, ...rest] = path.split('/');
        const pattern = new RegExp(`^${folder}/imp[0-9a-f]{29}/${rest.join('/').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
        let newest: { name: string; at: number } | undefined;
        for await (const b of c.listBlobsFlat({ prefix: `${folder}/` })) {
          const at = b.properties.lastModified.getTime();
          if (pattern.test(b.name) && (!newest || at >= newest.at)) newest = { name: b.name, at };
        }
        return newest ? (await c.getBlobClient(newest.name).downloadToBuffer()).toString('utf8') : undefined;
      },
      run: (input, settings) => importFile(input, deps(settings)),
      async drain(settings, onMessage) {
        await queue.createIfNotExists();
        const results: ProcessChunkResult[] = [];
        for (;;) {
          const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
          if (receivedMessageItems.length === 0) return results;
          for (const m of receivedMessageItems) {
            const message = JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as {
              importId: string;
              chunk: number;
            };
            const d = { ...deps(settings), owner: m.messageId };
            results.push(await processChunk(message, onMessage ? onMessage(d) : d));
            await queue.deleteMessage(m.messageId, m.popReceipt);
          }
        }
      },
      async take() {
        await queue.createIfNotExists();
        const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
        return receivedMessageItems.map((m) => ({
          message: JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as {
            importId: string;
            chunk: number;
            attempt?: number;
          },
          owner: m.messageId,
          remove: async () => {
            await queue.deleteMessage(m.messageId, m.popReceipt);
          },
        }));
      },
      async graph<T>(path: string) {
        const res = await fetch(`${sandbox.url}/v1.0${path}`, { headers: auth });
        return (await res.json()) as T;
      },
      async sandboxPost(path, body) {
        const res = await fetch(`${sandbox.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`${path}: ${res.status}`);
      },
      async stats() {
        const res = await fetch(`${sandbox.url}/_sandbox/stats`);
        return (await res.json()) as {
          requests: number;
          subRequests: number;
          throttled: number;
          byRouteInBatch: Record<string, number>;
        };
      },
    };
    stopAll = async () => {
      await Promise.all([sandbox.close(), azurite.stop()]);
    };
  });
  afterAll(async () => {
    await stopAll?.();
    h = undefined;
  });
  return {
    get current(): PhoneHarness {
      if (!h) throw new Error('phone harness not started');
      return h;
    },
  };
}

/** Parses a results CSV (as written by the import) into objects keyed by header. */
export function parseResults(text: string): Record<string, string>[] {
  const lines = text.split('\r\n').filter((l) => l !== '');
  const header = (lines.shift() ?? '').split(',');
  return lines.map((line) => {
    const cells: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') {
        cells.push(cur);
        cur = '';
      } else cur += ch;
    }
    cells.push(cur);
    // A spreadsheet shows a formula-guarded cell without its leading apostrophe; so do these parsed rows.
    return Object.fromEntries(header.map((h, i) => [h, (cells[i] ?? '').replace(/^'/, '')]));
  });
}
