import type { InvocationContext } from '@azure/functions';
import pino, { type DestinationStream, type Level, type Logger, type LoggerOptions } from 'pino';

/**
 * pino, JSON, one child logger per invocation. Redaction is done here, once, for every log call (house style 12):
 * secrets and passes are removed by key, phone numbers are masked by key and wherever they appear in free text,
 * bearer tokens and JWTs are removed from strings. Tested in test/log.test.ts.
 */
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
// Ticket provider credentials: Basic auth values and Standard Webhooks secrets (`whsec_...`).
const BASIC = /(basic\s+)[A-Za-z0-9+/]{8,}={0,2}/gi;
const WEBHOOK_SECRET = /whsec_[A-Za-z0-9+/=]+/g;
// A run of 7+ digits with phone separators, not glued to a word (keeps GUIDs, versions and ISO dates intact).
const PHONE_IN_TEXT = /(?<![\w.:/-])\+?\(?\d[\d\s().-]{5,}\d(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w-])/gi;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Masks every digit of the number but its last four; an extension is kept: `+1 4255550100x12` → `+* ******0100x12`. */
export function maskPhone(value: string): string {
  const ext = /\s*(x|ext\.?)\s*\d+\s*$/i.exec(value);
  const number = ext ? value.slice(0, ext.index) : value;
  const digits = number.replace(/\D/g, '').length;
  let seen = 0;
  return number.replace(/\d/g, (d) => (++seen > digits - 4 ? d : '*')) + (ext?.[0] ?? '');
}

export function scrubText(text: string): string {
  return text
    .replace(JWT, REDACTED)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(SHARED_KEY, `$1${REDACTED}`)
    .replace(BASIC, `$1${REDACTED}`)
    .replace(WEBHOOK_SECRET, REDACTED)
    .replace(PHONE_IN_TEXT, (m) => {
      const digits = m.replace(/\D/g, '').length;
      return digits < 7 || ISO_DATE.test(m.trim()) ? m : maskPhone(m);
    });
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
  formatters: { level: (label) => ({ level: label }) },
  hooks: {
    logMethod(args: unknown[], method) {
      // Every argument, message strings included, passes through the same redaction.
      const safe = args.map((a) => redact(a)) as Parameters<typeof method>;
      method.apply(this, safe);
    },
  },
});

export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return destination ? pino(baseOptions(level), destination) : pino(baseOptions(level));
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
