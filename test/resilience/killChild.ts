/**
 * Child process for the kill-and-re-run suite: the app's functions on the local Functions host (HTTP routes, queue
 * and blob triggers; timers run through the admin API only), against the parent's Azurite, Graph sandbox and ticket
 * stand-ins. It counts its own outbound calls as they happen (diagnostics channels, so no app code is touched):
 * Graph requests, ticket-system requests and storage writes. With KILL_AT set it SIGKILLs itself at exactly that
 * call, so a kill point is a place in the run ("as the 7th Graph request is sent", "once the 12th storage write
 * was answered") rather than a moment on a clock that depends on machine load.
 *
 * Compiled by the build (tsconfig.build.json) and started by test/resilience/killHarness.ts over an IPC channel:
 * the child sends `{ ready, url }`, answers `counts` with its counters, and exits on `stop`.
 */
import './shiftClock';

import { subscribe } from 'node:diagnostics_channel';
import path from 'node:path';

import { loadHostSettings, startLocalHost } from '../../local/host';
import { createLogger } from '../../shared/log';
import type { FunctionDefinition } from '../../shared/runtime/definitions';

export type KillTarget = 'graph' | 'provider' | 'storage';
/** `before`: the call is about to be sent (it never reaches the server); `after`: it was answered (and applied). */
export type KillPhase = 'before' | 'after';
export interface KillPoint {
  readonly target: KillTarget;
  /** 1-based: the k-th call of `target` in this process. */
  readonly k: number;
  readonly phase: KillPhase;
}
export type CallCounts = Record<KillTarget, number>;

export type ChildMessage = { type: 'ready'; url: string } | { type: 'counts'; counts: CallCounts };
export type ParentMessage = { type: 'counts' } | { type: 'stop' };

interface ClientRequestLike {
  readonly method?: string;
  readonly host?: string;
  readonly path?: string;
  getHeader?(name: string): unknown;
}
interface UndiciRequestLike {
  readonly method?: string;
  readonly origin?: string | URL;
}

const killAt = process.env.KILL_AT ? (JSON.parse(process.env.KILL_AT) as KillPoint) : undefined;
const graphOrigin = new URL(process.env.GRAPH_BASE_URL ?? 'http://127.0.0.1:1').origin;
const providerOrigins = new Set((process.env.KILL_PROVIDER_ORIGINS ?? '').split(',').filter(Boolean));
const counts: CallCounts = { graph: 0, provider: 0, storage: 0 };

function seen(target: KillTarget | undefined, phase: KillPhase): void {
  if (!target) return;
  if (phase === 'before') counts[target]++;
  if (killAt && killAt.target === target && killAt.phase === phase && counts[target] === killAt.k) {
    // No cleanup, no flush, no finally blocks: exactly what a host crash or an OOM kill leaves behind.
    process.kill(process.pid, 'SIGKILL');
  }
}

function fetchTarget(request: UndiciRequestLike): KillTarget | undefined {
  const origin = request.origin === undefined ? '' : new URL(String(request.origin)).origin;
  if (origin === graphOrigin) return 'graph';
  return providerOrigins.has(origin) ? 'provider' : undefined;
}

/**
 * Storage writes only (reads change nothing a kill could tear). Renewals of a running queue message's visibility
 * are the host's heartbeat, sent on a timer, and are not counted, so the k-th write is the same write in every run.
 */
function storageTarget(request: ClientRequestLike): KillTarget | undefined {
  const method = (request.method ?? 'GET').toUpperCase();
  if (method === 'GET' || method === 'HEAD') return undefined;
  if (method === 'PUT' && /\/messages\/[^/?]+\?/.test(request.path ?? '')) return undefined;
  return 'storage';
}

const undiciRequest = (m: unknown) => (m as { request: UndiciRequestLike }).request;
const httpRequest = (m: unknown) => (m as { request: ClientRequestLike }).request;
subscribe('undici:request:create', (m) => seen(fetchTarget(undiciRequest(m)), 'before'));
subscribe('undici:request:headers', (m) => seen(fetchTarget(undiciRequest(m)), 'after'));
subscribe('http.client.request.start', (m) => seen(storageTarget(httpRequest(m)), 'before'));
subscribe('http.client.response.finish', (m) => seen(storageTarget(httpRequest(m)), 'after'));

/**
 * KILL_FUNCTIONS names the functions a job needs (each module exports its definition under the function's name);
 * loading only those keeps a child's start short on a busy machine. Without it, the whole catalog.
 */
async function functionsToHost(root: string): Promise<FunctionDefinition[]> {
  const names = (process.env.KILL_FUNCTIONS ?? '').split(',').filter(Boolean);
  if (names.length === 0)
    return ((await import(path.join(root, 'dist/functions/catalog.js'))) as { allFunctions: FunctionDefinition[] }).allFunctions;
  return Promise.all(
    names.map(async (name) => {
      const loaded = (await import(path.join(root, `dist/functions/${name}.js`))) as Record<
        string,
        FunctionDefinition | undefined
      >;
      const definition = loaded[name];
      if (!definition) throw new Error(`dist/functions/${name}.js exports no function named ${name}`);
      return definition;
    }),
  );
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../../..');
  const hostJson = loadHostSettings(path.join(root, 'host.json'));
  const host = await startLocalHost({
    functions: await functionsToHost(root),
    port: 0,
    storageConnectionString: process.env.AzureWebJobsStorage ?? '',
    logger: createLogger('silent'),
    timers: { disabled: true },
    pollIntervalMs: 100,
    settings: {
      ...hostJson,
      // A killed worker's message comes back once its lease lapses, as in Azure after the host's 10 minutes.
      queues: {
        ...hostJson.queues,
        visibilityTimeoutMs: 0,
        maxPollingIntervalMs: 200,
        leaseMs: Number(process.env.KILL_QUEUE_LEASE_MS ?? 10_000),
      },
    },
  });
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'counts') process.send?.({ type: 'counts', counts: { ...counts } } satisfies ChildMessage);
    if (message.type === 'stop') void host.close().finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready', url: host.url } satisfies ChildMessage);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `kill child failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
