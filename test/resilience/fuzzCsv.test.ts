import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEMO_USERS } from '../../local/tenants/demoIds';
import { CsvFileError } from '../../shared/phones/csv/decode';
import { mapHeader } from '../../shared/phones/csv/header';
import { readCsv } from '../../shared/phones/csv/reader';
import { validateRecord } from '../../shared/phones/validate';
import { eventually } from '../helpers/host';
import { type Stack, startStack } from '../helpers/stack';
import { answerProblems, fuzz, FUZZ_RUNS, FUZZ_STACK, REQUEST_TIMEOUT_MS, send, Tally } from './fuzzKit';
import { recordFigures } from './scale';

/**
 * Phone import CSV files as admins' tools really write them, and as they break: UTF-8 with and without BOM, UTF-16
 * LE/BE, Latin-1 (what old Excel writes; refused as not UTF-8), comma, semicolon, tab and pipe delimiters, quoted
 * fields with doubled and stray quotes, huge fields, control characters, NUL bytes and mixed line ends. Each file goes
 * through the real reader and row validator, and through the whole blob pipeline on the local host
 * (`POST /api/phone-imports`: upload, blob import, queue chunks, worker, results), which must end every import in
 * `completed` or `failed` with a reason, or refuse the file with a 4xx in the error model.
 */
const ENCODINGS = ['utf8', 'utf8bom', 'utf16le', 'utf16be', 'latin1'] as const;
type Encoding = (typeof ENCODINGS)[number];

const FILE_PROBLEMS = new Set(['CSV_EMPTY', 'CSV_MALFORMED', 'FILE_NOT_TEXT', 'FILE_TOO_LARGE']);

const users = [DEMO_USERS.smsNoPhone, DEMO_USERS.exchangeOnly, DEMO_USERS.smsReady, DEMO_USERS.salesManager].map(
  (u) => u.userPrincipalName,
);
// Most files are mostly good, as real ones are, so the pipeline is exercised past the first refusal; the hostile
// parts (controls, binary, huge fields, NUL bytes) are mixed in per field and per file.
const field = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...users, 'nobody@contosodemo.onmicrosoft.com', 'not-an-upn', '') },
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      '+1 425 555 0100',
      '(425) 555-0112',
      '+44 20 7946 0958',
      '4255550199',
      '+1',
      '++1 425',
      'mobile',
      'office',
      'true',
      'no',
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12, unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.constantFrom('\u0001\u0002', '\u001b[31m', '\u2028', '\ufeff', '\u00e9\u00fc', 'a\rb', 'a\nb') },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 15_000 }).map((n) => 'x'.repeat(n)) },
);
const quoting = fc.constantFrom<'none' | 'quoted' | 'stray'>('none', 'none', 'none', 'quoted', 'stray');
const header = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      ['UserName', 'PhoneNumber'],
      ['userPrincipalName', 'phoneNumber', 'phoneType', 'smsSignIn'],
      ['UPN', 'Mobile'],
      ['user', 'phone', 'type'],
      ['\ufeffUserName', 'PhoneNumber'],
    ),
  },
  { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 4 }) },
);

/** One file in ten gets this fault. */
const sometimes = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

interface CsvCase {
  readonly bytes: Uint8Array;
  readonly encoding: Encoding;
  readonly chunk: number;
}

const csvCase: fc.Arbitrary<CsvCase> = fc
  .record({
    header,
    rows: fc.array(fc.array(fc.tuple(field, quoting), { minLength: 0, maxLength: 5 }), { maxLength: 12 }),
    delimiter: fc.constantFrom(',', ';', '\t', '|'),
    lineEnds: fc.array(fc.constantFrom('\n', '\r\n', '\r', '\n\n'), { minLength: 1, maxLength: 4 }),
    encoding: fc.constantFrom(...ENCODINGS),
    chunk: fc.integer({ min: 1, max: 4096 }),
    nulAt: sometimes(fc.nat()),
    // Past the reader's longest record (16,384 characters): a runaway field, refused for the whole file.
    // Raw bytes spliced into the encoded file: invalid UTF-8, lone surrogates in UTF-16, binary junk.
    garbageAt: sometimes(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }))),
    hugeAt: sometimes(fc.tuple(fc.nat(), fc.integer({ min: 16_385, max: 200_000 }))),
  })
  .map(({ header: h, rows, delimiter, lineEnds, encoding, chunk, nulAt, hugeAt, garbageAt }) => {
    const cell = ([value, quote]: readonly [string, 'none' | 'quoted' | 'stray']) =>
      quote === 'quoted' ? `"${value.replaceAll('"', '""')}"` : quote === 'stray' ? `${value}"` : value;
    const lines = [h.join(delimiter), ...rows.map((r) => r.map(cell).join(delimiter))];
    let text = lines.map((line, i) => `${line}${lineEnds[i % lineEnds.length] ?? '\n'}`).join('');
    if (hugeAt !== null) lines.splice(1 + (hugeAt[0] % lines.length), 0, `${users[0]}${delimiter}${'9'.repeat(hugeAt[1])}`);
    if (nulAt !== null) text = `${text.slice(0, nulAt % (text.length + 1))}\0${text.slice(nulAt % (text.length + 1))}`;
    const bytes = Buffer.from(encode(text, encoding));
    if (garbageAt === null) return { bytes, encoding, chunk };
    const at = garbageAt[0] % (bytes.length + 1);
    return { bytes: Buffer.concat([bytes.subarray(0, at), garbageAt[1], bytes.subarray(at)]), encoding, chunk };
  });

function encode(text: string, encoding: Encoding): Uint8Array {
  switch (encoding) {
    case 'utf8':
      return Buffer.from(text, 'utf8');
    case 'utf8bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'latin1':
      return Buffer.from(text, 'latin1');
    case 'utf16le':
      return Buffer.from(`\ufeff${text}`, 'utf16le');
    case 'utf16be':
      return Buffer.from(`\ufeff${text}`, 'utf16le').swap16();
  }
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size);
}

/** The reader and the row validator over one file: every row gets a verdict, or the file one file-level problem. */
async function readAndValidate(c: CsvCase): Promise<{ rows: number; fileProblem?: string }> {
  let columns: Parameters<typeof validateRecord>[1] | undefined;
  let rows = 0;
  let lastLine = 0;
  try {
    for await (const event of readCsv(chunked(c.bytes, c.chunk), { maxBytes: 1_000_000 })) {
      expect(event.line).toBeGreaterThanOrEqual(1);
      if (event.kind === 'header') {
        const mapped = mapHeader(event.fields, event.line);
        if (!mapped.ok) return { rows, fileProblem: mapped.problem.code };
        columns = mapped.columns;
      } else if (event.kind === 'record' && columns) {
        // Non-decreasing rather than increasing: with bare CR line ends mixed with LF, two records can be reported
        // on one line number (the reader counts LF only); a known limit, not a lost or duplicated row.
        expect(event.line).toBeGreaterThanOrEqual(lastLine);
        lastLine = event.line;
        const check = validateRecord(event.fields, columns, event.line, { defaultRegion: 'US', enableSmsSignInByDefault: false });
        expect(check.row.line).toBe(event.line);
        rows++;
      }
    }
  } catch (error) {
    if (error instanceof CsvFileError && FILE_PROBLEMS.has(error.problem.code)) return { rows, fileProblem: error.problem.code };
    throw error;
  }
  return { rows };
}

const tally = new Tally();
const stackRef: { current?: Stack } = {};
beforeAll(async () => {
  stackRef.current = await startStack(FUZZ_STACK);
});
afterAll(async () => {
  await stackRef.current?.stop();
  recordFigures('fuzz-csv', { runsPerKind: FUZZ_RUNS, ...tally.totals(), byKind: Object.fromEntries(tally.byKind) });
});

describe('phone import CSV fuzzing', () => {
  it('the reader and validator give every row a verdict or the file one file-level problem', async () => {
    await fuzz(
      __filename,
      'csv reader and validator',
      fc.asyncProperty(csvCase, async (c) => {
        const verdict = await readAndValidate(c);
        tally.count('csv reader and validator', verdict.fileProblem ? 422 : 200);
        // Latin-1 with a byte above 0x7f is not UTF-8: the file is refused as a whole, never read as mojibake.
        if (c.encoding === 'latin1' && c.bytes.some((b) => b > 0x7f)) expect(verdict.fileProblem).toBeDefined();
      }),
    );
  }, 600_000);

  it('the blob pipeline ends every import completed or failed with a reason, or refuses the file in the error model', async () => {
    const api = () => `${stackRef.current?.apiUrl ?? ''}/api`;
    await fuzz(
      __filename,
      'csv through the blob pipeline',
      fc.asyncProperty(csvCase, fc.boolean(), async (c, dryRun) => {
        const reply = await send({
          method: 'POST',
          url: `${api()}/phone-imports?dryRun=${dryRun}`,
          headers: { 'content-type': 'text/csv' },
          body: c.bytes,
        });
        tally.count('csv through the blob pipeline', reply.status);
        expect(answerProblems(reply)).toEqual([]);
        if (reply.status >= 400) return;
        const { importId } = JSON.parse(reply.text) as { importId: string };
        const final = await eventually(
          `import ${importId} to finish`,
          async () => {
            const got = await send({ method: 'GET', url: `${api()}/phone-imports/${importId}` });
            expect(got.status).toBe(200);
            const body = JSON.parse(got.text) as { status: string; problem: unknown; rows: { total: number; done: number } };
            return body.status === 'completed' || body.status === 'failed' ? body : undefined;
          },
          REQUEST_TIMEOUT_MS,
        );
        if (final.status === 'failed') expect(final.problem).toBeTruthy();
        else expect(final.rows.done).toBe(final.rows.total);
      }),
    );
  }, 900_000);
});
