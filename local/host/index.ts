/**
 * The local Functions host: runs the same `FunctionDefinition` list that functions/index.ts registers in Azure.
 * HTTP triggers and the Event Grid webhook on one loopback server, timers in-process, blob and queue triggers by
 * polling Azurite. Not a reimplementation of the whole host: see README "Local stack" for what differs.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createLogger } from '../../shared/log';
import type { FunctionDefinition } from '../../shared/runtime/definitions';
import { ADMIN_PREFIX, AdminApi } from './admin';
import { BlobTriggers } from './blobs';
import { EVENT_GRID_PATH, EventGridTriggers } from './eventgrid';
import { type HttpRouteInfo, HttpTriggers, writeError } from './http';
import { Invoker } from './invoker';
import { checkLocalRequest } from './origin';
import { QueueTriggers } from './queues';
import { type SettingsSource, settingsSource } from './settings';
import { TimerTriggers } from './timers';
import { DEFAULT_HOST_SETTINGS, type HostLogger, type HostSettings, type QueueSettings } from './types';

export interface LocalHostOptions {
  readonly functions: readonly FunctionDefinition[];
  /** Default 7071 (like `func start`); 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. The host does not enforce function keys, so keep it on loopback. */
  readonly hostname?: string;
  /** Storage the blob/queue triggers poll and the host keeps its receipts in (`AzureWebJobsStorage`). */
  readonly storageConnectionString: string;
  /** App settings for `%NAME%` placeholders and `connection` names, looked up before process.env. */
  readonly env?: Readonly<Record<string, string>>;
  readonly logger?: HostLogger;
  readonly timers?: { readonly disabled?: boolean };
  /** Blob container scan interval (default 1000 ms). */
  readonly pollIntervalMs?: number;
  /** host.json settings (routePrefix, extensions.queues); see loadHostSettings(). */
  readonly settings?: { readonly routePrefix?: string; readonly queues?: Partial<QueueSettings> };
  /** How long close() waits for running invocations (default 10 s). */
  readonly drainTimeoutMs?: number;
}

export interface LocalHost {
  readonly url: string;
  readonly port: number;
  readonly routes: readonly HttpRouteInfo[];
  close(): Promise<void>;
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const logger: HostLogger = options.logger ?? createLogger(logLevel(process.env.LOG_LEVEL));
  const settings = hostSettings(options);
  assertUniqueNames(options.functions);
  assertSupportedBindings(options.functions);
  const lookup = settingsSource(options.env);
  const invoker = new Invoker(logger);
  const http = new HttpTriggers(options.functions, settings.routePrefix, invoker, logger);
  const eventGrid = new EventGridTriggers(options.functions, invoker, logger);
  const admin = new AdminApi(options.functions, invoker, logger, lookup, options.storageConnectionString);

  const front = createFrontServer(logger, async (req, res, url) => {
    if (url.pathname.toLowerCase().replace(/\/+$/, '') === EVENT_GRID_PATH) return eventGrid.handle(req, res, url);
    if (url.pathname.toLowerCase().startsWith(ADMIN_PREFIX)) return admin.handle(req, res, url);
    const segments = http.pathSegments(url.pathname);
    if (segments) return http.handle(req, res, url, segments);
    req.resume();
    return writeError(res, 404, 'NotFound', `No function is registered for ${url.pathname}`);
  });
  const { server } = front;

  await listen(server, options.port ?? 7071, options.hostname ?? '127.0.0.1');
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.hostname ?? '127.0.0.1'}:${port}`;

  const background = await startBackground(options, settings, invoker, logger, lookup, server);

  const routes = http.describe(url);
  admin.logRoutes();
  logger.info(
    { functions: options.functions.map((f) => `${f.name} (${f.kind})`), eventGridFunctions: eventGrid.names() },
    `Local host listening at ${url}`,
  );

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    routes,
    close: () => (closed ??= closeHost(front, background, invoker, logger, options.drainTimeoutMs ?? 10_000)),
  };
}

function hostSettings(options: LocalHostOptions): HostSettings {
  return {
    routePrefix: (options.settings?.routePrefix ?? DEFAULT_HOST_SETTINGS.routePrefix).replace(/^\/+|\/+$/g, ''),
    queues: { ...DEFAULT_HOST_SETTINGS.queues, ...options.settings?.queues },
  };
}

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;
type Background = { start(): Promise<void>; stop(): Promise<void> };

/** The loopback server and the requests it is still answering (close() lets them finish). */
interface FrontServer {
  readonly server: Server;
  readonly requests: ReadonlySet<Promise<void>>;
  /** From now on, responses ask clients to close their connections. */
  markClosing(): void;
}

function createFrontServer(logger: HostLogger, route: Route): FrontServer {
  let closing = false;
  const requests = new Set<Promise<void>>();
  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const verdict = checkLocalRequest(req);
    if (!verdict.ok) {
      req.resume();
      logger.warn({ host: req.headers.host, origin: req.headers.origin, reason: verdict.reason }, 'Local host refused a request');
      return writeError(res, 403, 'Forbidden', `Refused: ${verdict.reason}`);
    }
    return route(req, res, requestUrl(req, server));
  };
  const server = createServer((req, res) => {
    if (closing) res.setHeader('connection', 'close');
    const handled = dispatch(req, res)
      .catch((error: unknown) => {
        logger.error({ err: error }, 'Local host request failed');
        if (!res.headersSent) writeError(res, 500, 'InternalServerError', 'The local host failed to process the request');
        else res.destroy();
      })
      .finally(() => requests.delete(handled));
    requests.add(handled);
  });
  server.requestTimeout = 0;
  return {
    server,
    requests,
    markClosing: () => {
      closing = true;
    },
  };
}

/** Timers (unless disabled), blob and queue triggers; if one fails to start, the others stop and the server closes. */
async function startBackground(
  options: LocalHostOptions,
  settings: HostSettings,
  invoker: Invoker,
  logger: HostLogger,
  lookup: SettingsSource,
  server: Server,
): Promise<Background[]> {
  const background: Background[] = [];
  try {
    if (!options.timers?.disabled) background.push(new TimerTriggers(options.functions, invoker, logger, lookup));
    background.push(
      new BlobTriggers(
        options.functions,
        invoker,
        logger,
        lookup,
        options.storageConnectionString,
        options.pollIntervalMs ?? 1_000,
      ),
      new QueueTriggers(options.functions, invoker, logger, lookup, options.storageConnectionString, settings.queues),
    );
    for (const b of background) await b.start();
  } catch (error) {
    await Promise.allSettled(background.map((b) => b.stop()));
    await closeServer(server);
    throw error;
  }
  return background;
}

async function closeHost(
  front: FrontServer,
  background: readonly Background[],
  invoker: Invoker,
  logger: HostLogger,
  drainTimeoutMs: number,
): Promise<void> {
  front.markClosing();
  const serverClosed = closeServer(front.server);
  await Promise.allSettled(background.map((b) => b.stop()));
  const deadline = Date.now() + drainTimeoutMs;
  const drained = await invoker.drain(deadline - Date.now());
  // Responses are written after the invocation returns: let them finish before cutting connections.
  const answered = await settleWithin([...front.requests], Math.max(0, deadline - Date.now()));
  if (!drained || !answered) logger.warn({ running: invoker.active }, 'Local host closed with invocations still running');
  front.server.closeAllConnections();
  await serverClosed;
}

async function settleWithin(promises: readonly Promise<unknown>[], ms: number): Promise<boolean> {
  if (promises.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([Promise.allSettled(promises).then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function requestUrl(req: IncomingMessage, server: Server): URL {
  const address = server.address() as AddressInfo;
  const fallback = `http://127.0.0.1:${address.port}`;
  try {
    return new URL(req.url ?? '/', req.headers.host ? `http://${req.headers.host}` : fallback);
  } catch {
    return new URL(req.url ?? '/', fallback);
  }
}

function listen(server: Server, port: number, hostname: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

function assertUniqueNames(functions: readonly FunctionDefinition[]): void {
  const seen = new Set<string>();
  for (const f of functions) {
    const key = f.name.toLowerCase();
    if (seen.has(key)) throw new Error(`Two functions are named '${f.name}': function names must be unique (case-insensitive)`);
    seen.add(key);
  }
}

/**
 * Secondary bindings (extraInputs/extraOutputs/return outputs) are not emulated: failing here beats a function
 * whose queue or blob output silently goes nowhere locally. The app writes storage through shared/storage instead.
 */
function assertSupportedBindings(functions: readonly FunctionDefinition[]): void {
  const unsupported = functions.flatMap((f) => {
    const o = f.options as { extraInputs?: readonly unknown[]; extraOutputs?: readonly unknown[]; return?: unknown };
    const extras = (o.extraInputs?.length ?? 0) + (o.extraOutputs?.length ?? 0) + (f.kind !== 'http' && o.return ? 1 : 0);
    return extras > 0 ? [f.name] : [];
  });
  if (unsupported.length > 0) {
    throw new Error(
      `The local host does not emulate input/output bindings (extraInputs, extraOutputs, return); used by: ${unsupported.join(', ')}. ` +
        'Use shared/storage clients in the handler instead.',
    );
  }
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
function logLevel(value: string | undefined): (typeof LEVELS)[number] {
  return LEVELS.find((l) => l === value) ?? 'info';
}

export { loadHostSettings } from './hostJson';
export type { HttpRouteInfo } from './http';
export type { HostLogger, QueueSettings } from './types';
