/**
 * `POST /admin/functions/<name>` with `{"input": "..."}`: runs a non-HTTP function now, like the Functions host's
 * admin API (https://learn.microsoft.com/azure/azure-functions/functions-manually-run-non-http). Answers 202 at
 * once and runs the function in the background. Input per trigger, as in the host: ignored for timers; the message
 * text for queues; `<container>/<blob name>` for blobs; the event JSON for Event Grid. Azure requires the master key
 * here; the local host, loopback-only, does not check keys.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';

import type { EventGridEvent, InvocationContext, Timer } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { z } from 'zod';

import type { FunctionDefinition } from '../../shared/runtime/definitions';
import { parseBlobPath } from './blobs';
import { MAX_REQUEST_BYTES, readRequestText, writeError } from './http';
import type { Invoker } from './invoker';
import { decodeMessage } from './queues';
import { connectionFor, resolvePlaceholders, type SettingsSource } from './settings';
import type { HostLogger } from './types';

export const ADMIN_PREFIX = '/admin/functions/';
const body = z.object({ input: z.string().optional() });

export class AdminApi {
  private readonly functions = new Map<string, FunctionDefinition>();

  constructor(
    definitions: readonly FunctionDefinition[],
    private readonly invoker: Invoker,
    private readonly logger: HostLogger,
    private readonly settings: SettingsSource,
    private readonly storage: string,
  ) {
    for (const def of definitions) this.functions.set(def.name.toLowerCase(), def);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const name = decodeURIComponent(url.pathname.slice(ADMIN_PREFIX.length)).replace(/\/+$/, '');
    const def = this.functions.get(name.toLowerCase());
    if ((req.method ?? '').toUpperCase() !== 'POST') {
      req.resume();
      res.setHeader('allow', 'POST');
      return writeError(res, 405, 'MethodNotAllowed', 'Run a function with POST');
    }
    if (!def) {
      req.resume();
      return writeError(res, 404, 'FunctionNotFound', `No function is named '${name}'`);
    }
    if (def.kind === 'http') {
      req.resume();
      return writeError(res, 400, 'HttpFunction', `'${def.name}' is an HTTP function: call its route instead`);
    }
    const text = await readRequestText(req);
    if (text === undefined) return writeError(res, 413, 'PayloadTooLarge', `The request body exceeds ${MAX_REQUEST_BYTES} bytes`);
    let parsed: z.infer<typeof body>;
    try {
      parsed = text.trim() === '' ? {} : body.parse(JSON.parse(text));
    } catch {
      return writeError(res, 400, 'InvalidBody', 'The body must be JSON like {"input": "..."} with a string input');
    }
    let run: () => Promise<unknown>;
    try {
      run = this.prepare(def, parsed.input ?? '');
    } catch (error) {
      return writeError(res, 400, 'InvalidInput', error instanceof Error ? error.message : String(error));
    }
    res.writeHead(202, { 'content-length': 0 }).end();
    // The invoker logs failures with the invocation id; nothing else to do with them here.
    run().catch(() => undefined);
  }

  private prepare(def: FunctionDefinition, input: string): () => Promise<unknown> {
    const call =
      <T>(triggerType: string, triggerMetadata: Record<string, unknown>, fn: (context: InvocationContext) => Promise<T>) =>
      () =>
        this.invoker.invoke({ functionName: def.name, triggerType, triggerMetadata }, fn);
    switch (def.kind) {
      case 'timer': {
        const now = new Date().toISOString();
        const timer: Timer = {
          isPastDue: false,
          schedule: { adjustForDST: true },
          scheduleStatus: { last: now, next: now, lastUpdated: now },
        };
        return call('timerTrigger', { timer }, async (context) => def.options.handler(timer, context));
      }
      case 'storageQueue': {
        const value = decodeMessage(input, 'none');
        return call('queueTrigger', { dequeueCount: 1, queueTrigger: input }, async (context) =>
          def.options.handler(value, context),
        );
      }
      case 'eventGrid': {
        let event: unknown;
        try {
          event = JSON.parse(input);
        } catch {
          throw new Error('input must be the event as JSON text');
        }
        return call('eventGridTrigger', { data: event }, async (context) =>
          def.options.handler(event as EventGridEvent, context),
        );
      }
      case 'storageBlob': {
        const pattern = parseBlobPath(resolvePlaceholders(def.options.path, this.settings, `blob trigger '${def.name}'`));
        const [container, ...rest] = input.replace(/^\/+/, '').split('/');
        const blobName = rest.join('/');
        const match = container && container === pattern.container ? pattern.regex.exec(blobName) : null;
        if (!container || !match)
          throw new Error(
            `input must be a blob path matching '${def.options.path}', such as ${pattern.container}/${pattern.prefix}<name>`,
          );
        const params = Object.fromEntries(pattern.names.map((n, i) => [n, match[i + 1] ?? '']));
        const containerClient = BlobServiceClient.fromConnectionString(
          connectionFor(def.options.connection, this.settings, this.storage),
        ).getContainerClient(container);
        const blobClient = containerClient.getBlobClient(blobName);
        return call(
          'blobTrigger',
          { ...params, blobTrigger: `${container}/${blobName}`, uri: blobClient.url },
          async (context) => {
            const content = def.options.sdkBinding ? { blobClient, containerClient } : await blobClient.downloadToBuffer();
            return def.options.handler(content, context);
          },
        );
      }
      case 'http':
        throw new Error('HTTP functions are called through their route');
    }
  }

  logRoutes(): void {
    const names = [...this.functions.values()].filter((f) => f.kind !== 'http').map((f) => f.name);
    if (names.length > 0) this.logger.debug({ functions: names }, `Run non-HTTP functions with POST ${ADMIN_PREFIX}<name>`);
  }
}
