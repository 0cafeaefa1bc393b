/**
 * pino, JSON, one child logger per invocation. Redaction is done here, once, for every log call, so no caller can forget it:
 * secrets and passes are removed by key, phone numbers are masked by key and wherever they appear in free text,
 * bearer tokens and JWTs are removed from strings. Tested in test/log.test.ts.
 */

import type { InvocationContext } from '@azure/functions';
import pino, {
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type Level,
  type Logger,
  type LoggerOptions,
} from 'pino';

import { maskPhone } from './phones/mask';

export type { Logger } from 'pino';
export type LogLevel = Level | 'silent';

const REDACTED = '[REDACTED]';
/** Keys whose values are secret in full (matched case-insensitively against the key name). */
const SECRET_KEY =
  /(pass(word|code)?$|temporaryaccesspass|secret|token|authorization|signature|cookie|api[-_]?key|functions-key|^code$|^sig$|connectionstring|accountkey)/i;
/** Keys whose values are phone numbers: masked to their last four digits. */
const PHONE_KEY = /(phone|mobile)(number)?$/i;
const JWT = /eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g;
const BEARER = /(bearer\s+)[^\s"',;]+/gi;
const SHARED_KEY = /(AccountKey=|SharedAccessSignature=|sig=)[^;&\s"]+/gi;
// Phone numbers in free text: a run of 7+ digits with phone separators, not glued to a word (keeps GUIDs, versions
// and ISO dates intact). Found in linear time: the candidate pattern has one greedy class and nothing after it that
// can fail, so the engine never backtracks; the boundary checks run once per candidate in code (a pattern with a
// trailing look-ahead re-scanned every run once per start position: quadratic on long digit-and-space input).
const PHONE_CANDIDATE = /(?<![\w.:/-])\+?\(?\d[\d\s().-]*/g;
const PHONE_EXTENSION = /\s?(?:x|ext\.?)\s?\d{1,6}/iy;
const GLUED = /[\w-]/;
// Ticket provider credentials: Basic auth values and Standard Webhooks secrets (`whsec_...`).
const BASIC = /(basic\s+)[A-Za-z0-9+/]{8,}={0,2}/gi;
const WEBHOOK_SECRET = /whsec_[A-Za-z0-9+/=]+/g;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** End of the phone number starting the candidate `run` at `start`, or -1 when it has none (glued to a word). */
function phoneEnd(text: string, start: number, run: string): number {
  let end = start + run.length;
  while (end > start && !/\d/.test(text[end - 1] ?? '')) end--;
  for (;;) {
    PHONE_EXTENSION.lastIndex = end;
    const ext = PHONE_EXTENSION.exec(text);
    if (ext && !GLUED.test(text[end + ext[0].length] ?? '')) return end + ext[0].length;
    if (!GLUED.test(text[end] ?? '')) return end;
    // Glued to a word: the longest shorter number ends on a digit just before a space, bracket or dot.
    let cut = end - 1;
    while (cut > start && !/[\s().]/.test(text[cut] ?? '')) cut--;
    while (cut > start && !/\d/.test(text[cut - 1] ?? '')) cut--;
    if (cut <= start) return -1;
    end = cut;
  }
}

function maskPhonesIn(text: string): string {
  let out = '';
  let last = 0;
  PHONE_CANDIDATE.lastIndex = 0;
  for (let m = PHONE_CANDIDATE.exec(text); m; m = PHONE_CANDIDATE.exec(text)) {
    const end = phoneEnd(text, m.index, m[0]);
    if (end < 0) continue;
    const found = text.slice(m.index, end);
    const digits = found.replace(/\D/g, '').length;
    if (digits < 7 || ISO_DATE.test(found.trim())) continue;
    out += text.slice(last, m.index) + maskPhone(found);
    last = end;
  }
  return last === 0 ? text : out + text.slice(last);
}

export function scrubText(text: string): string {
  return maskPhonesIn(
    text
      .replace(JWT, REDACTED)
      .replace(BEARER, `$1${REDACTED}`)
      .replace(SHARED_KEY, `$1${REDACTED}`)
      .replace(BASIC, `$1${REDACTED}`)
      .replace(WEBHOOK_SECRET, REDACTED),
  );
}

/** Deep copy with secrets removed and phone numbers masked; cycles and depth are bounded. */
export function redact(value: unknown, key = '', depth = 0, seen = new WeakSet<object>()): unknown {
  if (key && SECRET_KEY.test(key)) return value === undefined || value === null ? value : REDACTED;
  if (typeof value === 'string') return key && PHONE_KEY.test(key) ? maskPhone(value) : scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[Truncated]';
  seen.add(value);
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: scrubText(value.message) };
    if (value.stack) out.stack = scrubText(value.stack);
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, depth + 1, seen);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, key, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, depth + 1, seen);
  return out;
}

const baseOptions = (level: LogLevel): LoggerOptions => ({
  level,
  base: { app: 'entra-ops' },
  messageKey: 'msg',
  errorKey: 'err',
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: {
    level: (label) => ({ level: label }),
  },
  hooks: {
    logMethod(args: unknown[], method) {
      // Every argument, message strings included, passes through the same redaction.
      const safe = args.map((a) => redact(a)) as Parameters<typeof method>;
      method.apply(this, safe);
    },
  },
});

/**
 * Child-logger bindings (files, users, run ids) are serialised once when the child is made, never through logMethod,
 * and pino drops the bindings formatter for children: so every child's bindings are redacted on the way in.
 */
function redactingChildren(logger: Logger): Logger {
  // pino makes a child with Object.create(parent), so children inherit this override; it must call pino's own child on
  // `this` (the logger it is called on), or a grandchild would be made from the root and lose its parent's bindings.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the right `this` below, on purpose
  const pinoChild = logger.child as unknown as (this: Logger, bindings: Bindings, options?: ChildLoggerOptions) => Logger;
  function redacting(this: Logger, bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return pinoChild.call(this, redact(bindings) as Bindings, options);
  }
  logger.child = redacting as unknown as Logger['child'];
  return logger;
}

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return redactingChildren(destination ? pino(baseOptions(level), destination) : pino(baseOptions(level)));
}

type ContextLogFn = 'trace' | 'debug' | 'info' | 'warn' | 'error';
const CONTEXT_METHOD: Record<string, ContextLogFn> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'error',
};

/** A stream that hands each JSON line to the invocation's logger, so lines reach the Functions logs and App Insights. */
export function invocationStream(context: InvocationContext): DestinationStream {
  return {
    write(line: string) {
      const match = /"level":"(\w+)"/.exec(line);
      const method = CONTEXT_METHOD[match?.[1] ?? 'info'] ?? 'info';
      context[method](line.trimEnd());
    },
  };
}

/** The child logger of one invocation: every line carries the invocation id, the function and any run bindings. */
export function loggerFor(context: InvocationContext, level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  return createLogger(level, invocationStream(context)).child({
    invocationId: context.invocationId,
    functionName: context.functionName,
    ...bindings,
  });
}
