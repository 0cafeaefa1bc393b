/**
 * Shared parts of the fuzzers: one runner that uses the suite's seed and prints how to replay a failure, an HTTP
 * client with a bounded wait (a request that does not answer in time is a hang, and a failure), and the properties
 * every answer must have: no 5xx, and every refusal a 4xx in the app's error model.
 */
import path from 'node:path';

import fc from 'fast-check';

import type { StackOptions } from '../helpers/stack';
import { FULL, scaled, SEED } from './scale';

/** Generated cases per input kind: at least 200 at full size, a quick sample inside `npm test`. */
export const FUZZ_RUNS = scaled(25, 200);
/** Cases per HTTP route: the catalog has ~50 routes, so `npm test` samples fewer per route than per input kind. */
export const ROUTE_RUNS = scaled(10, 200);

/** Longest wait for one answer; the slowest legitimate route (a risk poll against a throttled API) answers in ~5 s. */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The local stack for fuzzing: the sandbox's throttle windows and the app's own write pacing compressed by the same
 * factor (the pairing the local settings allow), so cases spend their time on input handling rather than waiting
 * out quota windows; what a request is answered does not depend on the factor.
 */
export const FUZZ_STACK: StackOptions = { knobs: { timeScale: 20 }, env: { GRAPH_PACING_TIME_SCALE: '20' } };

/** When RESILIENCE_SEED is given the run is a replay, so the failing case is also shrunk to its smallest form. */
const REPLAY = process.env.RESILIENCE_SEED !== undefined;

/**
 * Runs `property` for FUZZ_RUNS cases from the suite's seed. On failure the error names the seed, fast-check's path
 * to the failing case and the command that replays it (the same seed generates the same cases in the same order).
 */
export async function fuzz<Ts>(
  file: string,
  kind: string,
  property: fc.IAsyncPropertyWithHooks<Ts>,
  numRuns = FUZZ_RUNS,
): Promise<void> {
  const details = await fc.check(property, { seed: SEED, numRuns, endOnFailure: !REPLAY });
  if (!details.failed) return;
  const relative = path.relative(path.resolve(__dirname, '..', '..'), file);
  const replay = `RESILIENCE_SEED=${details.seed} npm run test:resilience -- ${relative} -t '${kind}'`;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    `${kind}: fuzzing failed (seed ${details.seed}, fast-check path ${details.counterexamplePath ?? '?'}, ${FULL ? 'full' : 'small'} size)\n` +
      `Replay: ${replay}${FULL ? '' : ' (small size: run the file with npx vitest run instead)'}\n${cause}\n${fc.defaultReportMessage(details) ?? ''}`,
    { cause: details.errorInstance },
  );
}

export interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

export interface Sent {
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
}

/** One request with a bounded wait; a timeout is reported as a hang naming the request. */
export async function send(request: Sent): Promise<Reply> {
  let res: Response;
  try {
    res = await fetch(request.url, {
      method: request.method,
      headers: request.headers ?? {},
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${REQUEST_TIMEOUT_MS} ms (hang)`
        : String(error);
    throw new Error(`${request.method} ${request.url}: ${reason}`, { cause: error });
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** Problems with one answer under the fuzzing properties (empty when it is clean). */
export function answerProblems(reply: Reply): string[] {
  if (reply.status >= 500) return [`answered ${reply.status}: ${reply.text.slice(0, 500)}`];
  if (reply.status < 400) return [];
  if (!reply.contentType.toLowerCase().includes('json'))
    return [`a ${reply.status} refusal with content type '${reply.contentType}'`];
  let body: unknown;
  try {
    body = JSON.parse(reply.text);
  } catch {
    return [`a ${reply.status} refusal that is not JSON: ${reply.text.slice(0, 200)}`];
  }
  const error = (body as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  const problems: string[] = [];
  if (typeof error?.code !== 'string' || error.code === '') problems.push('error.code is missing');
  if (typeof error?.message !== 'string' || error.message === '') problems.push('error.message is missing');
  if (error?.details !== undefined && (error.details === null || typeof error.details !== 'object'))
    problems.push('error.details is not an object');
  return problems.map((p) => `${reply.status} ${p}: ${reply.text.slice(0, 300)}`);
}

/** Status counts per input kind, for the figures. */
export class Tally {
  readonly byKind = new Map<string, { cases: number; accepted: number; refused: number; statuses: Record<string, number> }>();

  count(kind: string, status: number): void {
    const entry = this.byKind.get(kind) ?? { cases: 0, accepted: 0, refused: 0, statuses: {} };
    entry.cases++;
    if (status >= 400) entry.refused++;
    else entry.accepted++;
    entry.statuses[status] = (entry.statuses[status] ?? 0) + 1;
    this.byKind.set(kind, entry);
  }

  totals(): { kinds: number; cases: number; accepted: number; refused: number; minCasesPerKind: number } {
    const all = [...this.byKind.values()];
    return {
      kinds: all.length,
      cases: all.reduce((n, e) => n + e.cases, 0),
      accepted: all.reduce((n, e) => n + e.accepted, 0),
      refused: all.reduce((n, e) => n + e.refused, 0),
      minCasesPerKind: Math.min(...all.map((e) => e.cases)),
    };
  }
}

/** Printable Latin-1 text with the characters hostile headers favour (fetch refuses control characters in headers). */
export const headerText = (maxLength = 40): fc.Arbitrary<string> =>
  fc.string({
    maxLength,
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
  });

/** Unicode text with the characters hostile input favours: controls, NUL, quotes, separators, RTL marks, emoji. */
export const hostileText = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength, unit: 'binary' }),
    fc.string({ maxLength }),
    fc.stringMatching(/^[\s\S]{0,40}$/),
    fc.constantFrom(
      '',
      ' ',
      '\0',
      '\u202e',
      '"',
      "'",
      '\\',
      '%',
      '%00',
      '../..',
      '😀',
      'null',
      'undefined',
      '__proto__',
      'constructor',
    ),
  );
