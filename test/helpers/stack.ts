/**
 * The whole local stack for end-to-end tests: in-memory Azurite on free ports, the Graph sandbox on a free port
 * and the local host on a free port running the app's `allFunctions`. App settings come from the sample settings
 * plus `env`, are written to process.env before the app is imported, and are restored by stop().
 * App timers are off unless `timers: true` (a 5-minute sync must not fire in the middle of a test). Logs are silent
 * unless STACK_LOG_LEVEL is set (e.g. STACK_LOG_LEVEL=debug npx vitest run test/e2e).
 */

import path from 'node:path';

import { afterAll, beforeAll } from 'vitest';

import type { HostLogger, QueueSettings } from '../../local/host';
import type { SandboxKnobs, TenantFile } from '../../local/sandbox';
import { type LocalStack, readLocalSettings, startLocalStack } from '../../local/start';
import { createLogger, type LogLevel } from '../../shared/log';

export interface StackOptions {
  readonly tenant?: TenantFile | string;
  readonly knobs?: Partial<SandboxKnobs>;
  readonly env?: Readonly<Record<string, string>>;
  readonly timers?: boolean;
  /** Overrides of host.json `extensions.queues` (default here: failed messages retry at once, fast polling). */
  readonly queues?: Partial<QueueSettings>;
  /** Receives the host's and the app's log lines (default: pino at STACK_LOG_LEVEL, silent). */
  readonly logger?: HostLogger;
}

export interface Stack {
  readonly apiUrl: string;
  readonly sandboxUrl: string;
  readonly connectionString: string;
  /** Ticket-system stand-ins started for TICKET_PROVIDER (servicenow, jira). */
  readonly ticketStandIns: { readonly servicenow?: string; readonly jira?: string };
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const level = LOG_LEVELS.find((l) => l === process.env.STACK_LOG_LEVEL) ?? 'silent';
  // The sample points at fixed local ports; the stack's own Azurite and sandbox URLs replace them.
  const { GRAPH_BASE_URL: _graph, AzureWebJobsStorage: _storage, ...sample } = readLocalSettings(ROOT).values;
  const stack: LocalStack = await startLocalStack({
    root: ROOT,
    azurite: { inMemory: true },
    sandbox: {
      port: 0,
      ...(options.tenant ? { tenant: options.tenant } : {}),
      ...(options.knobs ? { knobs: options.knobs } : {}),
    },
    hostPort: 0,
    host: {
      timersDisabled: !options.timers,
      pollIntervalMs: 100,
      queues: { visibilityTimeoutMs: 0, maxPollingIntervalMs: 200, ...options.queues },
    },
    env: { ...sample, LOG_LEVEL: level, ...options.env },
    logger: options.logger ?? createLogger(level),
  });
  return {
    apiUrl: stack.apiUrl,
    sandboxUrl: stack.sandboxUrl,
    connectionString: stack.connectionString,
    ticketStandIns: stack.ticketStandIns,
    stop: () => stack.stop(),
  };
}

/** One stack per test file (or describe block): read `.current` inside tests. */
export function useStack(options: StackOptions = {}): { readonly current: Stack } {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack(options);
  });
  afterAll(async () => {
    await stack?.stop();
    stack = undefined;
  });
  return {
    get current(): Stack {
      if (!stack)
        throw new Error('The stack is not running: call useStack() at file or describe level and read .current inside tests');
      return stack;
    },
  };
}
