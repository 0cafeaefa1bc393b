/**
 * Builds each invocation's `InvocationContext` (context.log lines go to the host logger with the invocation id and
 * function name, like the Functions host's function logs) and tracks in-flight invocations so close() can drain them.
 */

import { randomUUID } from 'node:crypto';
import { format } from 'node:util';

import { type EffectiveFunctionOptions, InvocationContext, type LogLevel, type TriggerMetadata } from '@azure/functions';

import type { HostLogger } from './types';

type HostLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, HostLevel | undefined> = {
  trace: 'debug',
  debug: 'debug',
  information: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'error',
  none: undefined,
};
// Fields pino puts on every line, and the invocation bindings the host logger's child already carries: dropped when
// a line is re-logged, so no key appears twice.
const PINO_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'app', 'invocationId', 'functionName']);

export interface InvocationRequest {
  readonly functionName: string;
  readonly triggerType: string;
  readonly triggerMetadata?: TriggerMetadata;
  readonly options?: Partial<EffectiveFunctionOptions>;
}

export class Invoker {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly logger: HostLogger) {}

  get active(): number {
    return this.inFlight.size;
  }

  async invoke<T>(request: InvocationRequest, call: (context: InvocationContext) => Promise<T> | T): Promise<T> {
    const invocationId = randomUUID();
    const log = this.logger.child({ functionName: request.functionName, invocationId });
    const context = new InvocationContext({
      invocationId,
      functionName: request.functionName,
      logHandler: (level, ...args) => forward(log, level, args),
      triggerMetadata: request.triggerMetadata ?? {},
      options: {
        trigger: { type: request.triggerType, name: request.triggerType },
        extraInputs: [],
        extraOutputs: [],
        ...request.options,
      },
    });
    const started = Date.now();
    log.debug({ trigger: request.triggerType }, `Executing '${request.functionName}'`);
    const run = (async () => call(context))();
    this.inFlight.add(run);
    try {
      const result = await run;
      log.info({ durationMs: Date.now() - started }, `Executed '${request.functionName}' (Succeeded)`);
      return result;
    } catch (error) {
      log.error({ err: error, durationMs: Date.now() - started }, `Executed '${request.functionName}' (Failed)`);
      throw error;
    } finally {
      this.inFlight.delete(run);
    }
  }

  /** Waits for in-flight invocations; resolves false when some are still running after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((done) => {
      timer = setTimeout(() => done(false), timeoutMs);
    });
    const settled = Promise.allSettled([...this.inFlight]).then(() => true as const);
    try {
      return await Promise.race([settled, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A single pino JSON line (what shared/log writes through context.log) is re-logged as fields, not as an escaped string. */
function forward(log: HostLogger, level: LogLevel, args: unknown[]): void {
  const method = LEVELS[level];
  if (!method) return;
  const [first] = args;
  if (args.length === 1 && typeof first === 'string' && first.startsWith('{')) {
    const parsed = parseObject(first);
    if (parsed) {
      const fields = Object.fromEntries(Object.entries(parsed).filter(([k]) => !PINO_FIELDS.has(k)));
      log[method](fields, typeof parsed.msg === 'string' ? parsed.msg : '');
      return;
    }
  }
  log[method]({}, format(...args));
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
