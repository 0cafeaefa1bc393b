/**
 * `npm start`: the whole app on one machine without Azure, like `func start` plus emulators. App settings come from
 * local.settings.json `Values` (or the sample), never overriding variables already set; then Azurite (persisting to
 * .azurite/), the Graph sandbox and the local host start, in that order, and stop in reverse on Ctrl-C/SIGTERM.
 * The app's functions are imported only after the environment is complete, because services read it on first use.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { loadConfig } from '../shared/config';
import { createLogger } from '../shared/log';
import { setServices } from '../shared/runtime/services';
import { type AzuriteInstance, type AzuriteOptions, startAzurite } from './azurite';
import { type HostLogger, loadHostSettings, type LocalHost, type QueueSettings, startLocalHost } from './host';
import { type GraphSandbox, type SandboxKnobs, startGraphSandbox, type TenantFile } from './sandbox';
import { startTicketStandIns } from './stand-ins/start';

export interface LocalStackOptions {
  /** Project root (package.json, host.json, local.settings*.json). */
  readonly root: string;
  readonly azurite: AzuriteOptions;
  /** Fall back to free ports when the Azurite ports in `azurite.ports` are taken (npm start: 10000-10002). */
  readonly azuriteFallbackToFreePorts?: boolean;
  readonly sandbox: {
    readonly port: number;
    readonly fallbackToFreePort?: boolean;
    readonly tenant?: TenantFile | string;
    readonly knobs?: Partial<SandboxKnobs>;
  };
  readonly hostPort: number;
  /** Local host tuning on top of host.json (tests: no app timers, fast scans and retries). */
  readonly host?: {
    readonly timersDisabled?: boolean;
    readonly pollIntervalMs?: number;
    readonly queues?: Partial<QueueSettings>;
  };
  /** Ports for the ticket-system stand-in TICKET_PROVIDER selects (default: free ports; a taken port falls back). */
  readonly ticketStandInPorts?: { readonly servicenow?: number; readonly jira?: number };
  /** Settings applied to process.env before the app is imported; they win over everything else. */
  readonly env?: Readonly<Record<string, string>>;
  readonly logger?: HostLogger;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly sandboxUrl: string;
  readonly connectionString: string;
  readonly azurite: AzuriteInstance;
  readonly host: LocalHost;
  /** URLs of the ticket-system stand-ins started for TICKET_PROVIDER (control routes under /_standin/). */
  readonly ticketStandIns: { readonly servicenow?: string; readonly jira?: string };
  /** Stops host, sandbox and Azurite (reverse order) and restores the process.env values it changed. */
  stop(): Promise<void>;
}

/** `Values` of local.settings.json, else of local.settings.sample.json (what func start reads), as strings. */
export function readLocalSettings(root: string): { file?: string; values: Record<string, string> } {
  for (const name of ['local.settings.json', 'local.settings.sample.json']) {
    const file = path.join(root, name);
    if (!existsSync(file)) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`${name} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const values = (parsed as { Values?: unknown }).Values;
    if (values === undefined) return { file, values: {} };
    if (values === null || typeof values !== 'object' || Array.isArray(values))
      throw new Error(`${name}: "Values" must be an object`);
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) {
      if (value === null || value === undefined) continue;
      if (typeof value === 'object') throw new Error(`${name}: Values.${key} must be a string, number or boolean`);
      out[key] = String(value as string | number | boolean);
    }
    return { file, values: out };
  }
  return { values: {} };
}

/** Like func start: settings fill in what the environment does not already have; set variables always win. */
export function applySettings(values: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(values)) {
    if (env[name] === undefined) env[name] = value;
  }
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const env = envChanges();
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };

  try {
    for (const [name, value] of Object.entries(options.env ?? {})) env.set(name, value);

    const azurite = await startAzuriteWithFallback(options);
    stops.push(() => azurite.stop());
    const sandbox = await startSandboxWithFallback(options);
    stops.push(() => sandbox.close());

    env.set('AzureWebJobsStorage', azurite.connectionString);
    if (!options.env?.GRAPH_BASE_URL) env.set('GRAPH_BASE_URL', sandbox.url);
    if (!process.env.GRAPH_AUTH) env.set('GRAPH_AUTH', 'static');
    if (!process.env.GRAPH_STATIC_TOKEN) env.set('GRAPH_STATIC_TOKEN', 'local-sandbox-token');

    const standIns = await startTicketStandIns(process.env, env.set, {
      ...(options.ticketStandInPorts ? { ports: options.ticketStandInPorts } : {}),
      fallbackToFreePort: true,
      onFallback: (name, port) => options.logger?.warn({ port }, `Port ${port} is taken; the ${name} uses a free port`),
    });
    stops.push(() => standIns.close());

    const host = await startAppHost(options, azurite.connectionString, stops);
    standIns.connect(host.url);

    let stopped: Promise<void> | undefined;
    return {
      apiUrl: host.url,
      sandboxUrl: sandbox.url,
      connectionString: azurite.connectionString,
      azurite,
      host,
      ticketStandIns: {
        ...(standIns.servicenow ? { servicenow: standIns.servicenow.url } : {}),
        ...(standIns.jira ? { jira: standIns.jira.url } : {}),
      },
      stop: () =>
        (stopped ??= (async () => {
          await stopAll();
          env.restore();
        })()),
    };
  } catch (error) {
    await stopAll();
    env.restore();
    throw error;
  }
}

/** Sets process.env variables, remembering each one's first value so restore() puts them all back. */
function envChanges(): { readonly set: (name: string, value: string) => void; readonly restore: () => void } {
  const saved = new Map<string, string | undefined>();
  return {
    set: (name, value) => {
      if (!saved.has(name)) saved.set(name, process.env[name]);
      process.env[name] = value;
    },
    restore: () => {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}

/**
 * Imports the app's functions and starts the local host over them; called once the environment is final. Its stop
 * steps (services reset, host close) go onto `stops` as they become needed.
 */
async function startAppHost(
  options: LocalStackOptions,
  connectionString: string,
  stops: (() => Promise<void>)[],
): Promise<LocalHost> {
  // Only now: the app's modules and its lazily built services must see the final environment.
  loadConfig(process.env);
  setServices(undefined);
  stops.push(async () => setServices(undefined));
  // Loaded only now (and with the extension, as a dynamic import resolves like ESM) so no function module can
  // capture settings before they are final.
  const { allFunctions } = await import('../functions/catalog.js');

  const hostJson = loadHostSettings(path.join(options.root, 'host.json'));
  const host = await startLocalHost({
    functions: allFunctions,
    port: options.hostPort,
    storageConnectionString: connectionString,
    settings: { ...hostJson, queues: { ...hostJson.queues, ...options.host?.queues } },
    timers: { disabled: options.host?.timersDisabled ?? false },
    ...(options.host?.pollIntervalMs ? { pollIntervalMs: options.host.pollIntervalMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  stops.push(() => host.close());
  return host;
}

async function startSandboxWithFallback(options: LocalStackOptions): Promise<GraphSandbox> {
  const sandboxOptions = { tenant: options.sandbox.tenant, ...(options.sandbox.knobs ? { knobs: options.sandbox.knobs } : {}) };
  try {
    return await startGraphSandbox({ ...sandboxOptions, port: options.sandbox.port });
  } catch (error) {
    if (!options.sandbox.fallbackToFreePort || !isAddressInUse(error)) throw error;
    options.logger?.warn(
      { port: options.sandbox.port },
      `Port ${options.sandbox.port} is taken; the Graph sandbox uses a free port`,
    );
    return startGraphSandbox({ ...sandboxOptions, port: 0 });
  }
}

async function startAzuriteWithFallback(options: LocalStackOptions): Promise<AzuriteInstance> {
  try {
    return await startAzurite(options.azurite);
  } catch (error) {
    if (!options.azuriteFallbackToFreePorts || !isAddressInUse(error)) throw error;
    options.logger?.warn({ ports: options.azurite.ports }, 'Azurite ports are taken; using free ports');
    return startAzurite({ ...options.azurite, ports: { blob: 0, queue: 0, table: 0 } });
  }
}

const isAddressInUse = (error: unknown) =>
  error instanceof Error && /EADDRINUSE/.test(`${error.message} ${(error as { code?: string }).code ?? ''}`);

function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'host.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

function portSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`${name} must be a port number (0-65535), got '${raw}'`);
  return port;
}

async function main(): Promise<void> {
  const started = Date.now();
  const root = projectRoot();
  const settings = readLocalSettings(root);
  applySettings(settings.values, process.env);
  const userGraphUrl = process.env.GRAPH_BASE_URL;
  const level = process.env.LOG_LEVEL;
  const logger = createLogger(
    level === 'trace' || level === 'debug' || level === 'warn' || level === 'error' || level === 'silent' ? level : 'info',
  );

  const sandboxPort = portSetting('GRAPH_SANDBOX_PORT', 7072);
  // AZURITE_LOCATION moves the emulator's data (tests use a temp dir); two Azurites must never share one folder.
  const azuriteDir = path.resolve(root, process.env.AZURITE_LOCATION || '.azurite');
  const stack = await startLocalStack({
    root,
    azurite: {
      inMemory: false,
      location: azuriteDir,
      ports: { blob: 10000, queue: 10001, table: 10002 },
    },
    azuriteFallbackToFreePorts: true,
    sandbox: {
      port: sandboxPort,
      fallbackToFreePort: true,
      ...(process.env.GRAPH_SANDBOX_TENANT ? { tenant: process.env.GRAPH_SANDBOX_TENANT } : {}),
    },
    hostPort: portSetting('ENTRA_OPS_PORT', 7071),
    ticketStandInPorts: {
      servicenow: portSetting('SERVICENOW_STANDIN_PORT', 7073),
      jira: portSetting('JIRA_STANDIN_PORT', 7074),
    },
    // The sample points GRAPH_BASE_URL at the sandbox's default port; follow the port it really got.
    ...(userGraphUrl && !isDefaultSandboxUrl(userGraphUrl) ? { env: { GRAPH_BASE_URL: userGraphUrl } } : {}),
    logger,
  });

  const startedIn = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  process.stdout.write(banner(stack, startedIn, settings.file, path.relative(root, azuriteDir) || azuriteDir).join('\n'));
  stopOnSignals(stack);
}

/** What `npm start` prints once the stack is up: where everything listens. */
function banner(stack: LocalStack, startedIn: string, settingsFile: string | undefined, azuriteData: string): string[] {
  return [
    '',
    `entra-ops local stack is up (${startedIn})${settingsFile ? `, settings from ${path.basename(settingsFile)}` : ''}`,
    `  API            ${stack.apiUrl}/api/...`,
    `  Event Grid     ${stack.apiUrl}/runtime/webhooks/eventgrid?functionName=<name>`,
    `  Run now        POST ${stack.apiUrl}/admin/functions/<name> {"input":"..."} (timers, queues, blobs)`,
    `  Graph sandbox  ${stack.sandboxUrl}  (control: ${stack.sandboxUrl}/_sandbox/stats)`,
    ...(stack.ticketStandIns.servicenow
      ? [`  ServiceNow     ${stack.ticketStandIns.servicenow}/api/now/table/incident  (stand-in; control: /_standin/incidents)`]
      : []),
    ...(stack.ticketStandIns.jira
      ? [`  Jira           ${stack.ticketStandIns.jira}/rest/api/3/...  (stand-in; control: /_standin/issues)`]
      : []),
    `  Azurite        blob ${stack.azurite.blobPort}, queue ${stack.azurite.queuePort}, table ${stack.azurite.tablePort} (data in ${azuriteData})`,
    `  Functions      ${stack.host.routes.length} HTTP route(s); keys are not checked locally`,
    '',
    `  Try: curl ${stack.apiUrl}/api/health`,
    '  Ctrl-C stops everything.',
    '',
  ];
}

/** SIGINT/SIGTERM (or losing our parent) stop the stack and exit; a second signal exits without waiting. */
function stopOnSignals(stack: LocalStack): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`\n${signal} again: exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local host, the Graph sandbox and Azurite...\n`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // `npm start` runs us under npm (and a shell) that do not always forward SIGTERM; if our parent goes away,
  // stop as if signalled rather than keep ports and Azurite's files.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown('SIGHUP');
  }, 1_000).unref();
}

const isDefaultSandboxUrl = (url: string) => /^http:\/\/(127\.0\.0\.1|localhost):7072\/?$/.test(url);

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`entra-ops local stack failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
