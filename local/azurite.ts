/**
 * Azurite, the real storage emulator, as a child process. `require('azurite')` loads the VS Code extension and
 * its server classes are internal, so the CLI is spawned instead. Ports default to 0 (free ports
 * chosen by the OS); the real ones are read from the "successfully listening at" lines Azurite prints even with
 * `--silent`. `UseDevelopmentStorage=true` assumes ports 10000-10002, so an explicit connection string is built.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

export interface AzuriteOptions {
  /** Keep everything in memory (default true). Cannot be combined with `location` (Azurite refuses both). */
  readonly inMemory?: boolean;
  /** Workspace folder for on-disk persistence; used when `inMemory` is false (default `.azurite` in cwd). */
  readonly location?: string;
  /** Fixed ports; 0 (the default) lets the OS choose a free one. */
  readonly ports?: { readonly blob?: number; readonly queue?: number; readonly table?: number };
  /** How long to wait for the three services to listen (default 30 s). */
  readonly startTimeoutMs?: number;
}

export interface AzuriteInstance {
  readonly connectionString: string;
  readonly blobPort: number;
  readonly queuePort: number;
  readonly tablePort: number;
  /** SIGTERM (Azurite flushes its on-disk databases), await exit, SIGKILL if it does not exit in time. */
  stop(): Promise<void>;
}

/** The well-known Azurite development account key (public, documented; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteConnectionString(ports: { blob: number; queue: number; table: number }, host = '127.0.0.1'): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
    `BlobEndpoint=http://${host}:${ports.blob}/${AZURITE_ACCOUNT};` +
    `QueueEndpoint=http://${host}:${ports.queue}/${AZURITE_ACCOUNT};` +
    `TableEndpoint=http://${host}:${ports.table}/${AZURITE_ACCOUNT};`
  );
}

/**
 * Runs in the child before Azurite's own entry point. It ties Azurite's life to ours: when our end of its stdin
 * pipe closes (we exited, crashed or were SIGKILLed) it shuts Azurite down, so no orphan keeps the ports. On
 * SIGTERM/SIGINT it lets go of stdin so the process can exit once Azurite has closed its servers.
 * `process.argv[1]` is the Azurite script, so Azurite's argument parser sees the usual `[node, script, ...flags]`.
 */
const WATCHDOG = `
const release = () => { process.stdin.destroy(); setTimeout(() => process.exit(0), 10000).unref(); };
process.once('SIGTERM', release);
process.once('SIGINT', release);
const orphaned = () => { release(); process.kill(process.pid, 'SIGTERM'); };
process.stdin.on('end', orphaned);
process.stdin.on('error', orphaned);
process.stdin.resume();
require(process.argv[1]);
`;

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at https?:\/\/[^\s:]+:(\d+)/g;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A last resort for a parent that exits without stop(): the watchdog would also react, but only once the pipe closes.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGTERM');
  });
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteInstance> {
  const inMemory = options.inMemory ?? true;
  const ports = { blob: options.ports?.blob ?? 0, queue: options.ports?.queue ?? 0, table: options.ports?.table ?? 0 };
  const script = require.resolve('azurite/dist/src/azurite.js');
  const args = ['--silent', '--disableTelemetry', '--skipApiVersionCheck', '--loose'];
  for (const service of ['blob', 'queue', 'table'] as const) {
    args.push(`--${service}Host`, '127.0.0.1', `--${service}Port`, String(ports[service]));
  }
  if (inMemory) {
    args.push('--inMemoryPersistence');
  } else {
    const location = resolve(options.location ?? '.azurite');
    mkdirSync(location, { recursive: true });
    args.push('--location', location);
  }

  // detached: Azurite gets its own process group, so Ctrl-C in a terminal reaches only us and we stop it in order.
  const child = spawn(process.execPath, ['-e', WATCHDOG, script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    windowsHide: true,
  });
  live.add(child);
  installExitHook();
  const exited = new Promise<void>((done) => {
    child.once('exit', () => {
      live.delete(child);
      done();
    });
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), inMemory ? 5_000 : 15_000);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    const found = await waitForPorts(child, options.startTimeoutMs ?? 30_000);
    return {
      connectionString: azuriteConnectionString(found),
      blobPort: found.blob,
      queuePort: found.queue,
      tablePort: found.table,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function waitForPorts(child: ChildProcess, timeoutMs: number): Promise<{ blob: number; queue: number; table: number }> {
  return new Promise((resolvePorts, reject) => {
    const found: Partial<Record<'blob' | 'queue' | 'table', number>> = {};
    let stdout = '';
    let stderr = '';
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onStdout);
      child.off('exit', onExit);
      // Keep draining so a full pipe never blocks Azurite; the content is no longer needed.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    const fail = (message: string) => {
      cleanup();
      const output = `${stderr}${stdout}`.trim().split('\n').slice(-5).join('\n');
      reject(new Error(output ? `${message}: ${output}` : message));
    };
    const onStdout = (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      for (const match of stdout.matchAll(LISTENING)) {
        const service = match[1]?.toLowerCase() as 'blob' | 'queue' | 'table';
        found[service] = Number(match[2]);
      }
      if (found.blob !== undefined && found.queue !== undefined && found.table !== undefined) {
        cleanup();
        resolvePorts({ blob: found.blob, queue: found.queue, table: found.table });
      }
    };
    const onStderr = (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`Azurite exited before it was ready (code ${code ?? 'none'}, signal ${signal ?? 'none'})`);
    const timer = setTimeout(() => fail(`Azurite did not report its ports within ${timeoutMs} ms`), timeoutMs);
    child.stdout?.on('data', onStdout);
    child.stderr?.on('data', onStderr);
    child.once('exit', onExit);
  });
}
