import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { CsvFileError } from '../../shared/phones/csv/decode';
import { detectDelimiter, mapHeader } from '../../shared/phones/csv/header';
import { type CsvEvent, readCsv } from '../../shared/phones/csv/reader';

async function* chunks(buf: Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.byteLength; i += size) yield buf.subarray(i, i + size);
}

async function read(input: string | Uint8Array, maxBytes = 1_000_000, size = 7): Promise<CsvEvent[]> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const out: CsvEvent[] = [];
  for await (const e of readCsv(chunks(bytes, size), { maxBytes })) out.push(e);
  return out;
}

async function problem(input: string | Uint8Array, maxBytes = 1_000_000): Promise<{ code: string; message: string }> {
  try {
    await read(input, maxBytes);
  } catch (err) {
    if (err instanceof CsvFileError) return err.problem;
    throw err;
  }
  throw new Error('expected a file problem');
}

const utf16 = (text: string, endian: 'le' | 'be') => {
  const le = Buffer.from(`\uFEFF${text}`, 'utf16le');
  if (endian === 'le') return le;
  const be = Buffer.alloc(le.length);
  for (let i = 0; i < le.length; i += 2) {
    be[i] = le[i + 1]!;
    be[i + 1] = le[i]!;
  }
  return be;
};

describe('readCsv', () => {
  it('reads the seed header and rows with line numbers', async () => {
    const events = await read('UserName,PhoneNumber\nadele@contoso.com,+1 4255550100\nalex@contoso.com,+1 4255550101\n');
    expect(events).toEqual([
      { kind: 'header', line: 1, fields: ['UserName', 'PhoneNumber'], delimiter: ',' },
      { kind: 'record', line: 2, fields: ['adele@contoso.com', '+1 4255550100'] },
      { kind: 'record', line: 3, fields: ['alex@contoso.com', '+1 4255550101'] },
    ]);
  });

  it('detects semicolon and tab delimiters', async () => {
    expect((await read('UPN;Mobile\r\na@b.com;"+1 425;555"\r\n'))[1]).toEqual({
      kind: 'record',
      line: 2,
      fields: ['a@b.com', '+1 425;555'],
    });
    expect((await read('Id\tPhone\nx\t1\n'))[0]).toMatchObject({ delimiter: '\t' });
  });

  it('strips a UTF-8 BOM and reads UTF-16 LE and BE with BOM', async () => {
    const text = 'UserName,PhoneNumber\r\nzoë@contoso.com,+1 4255550100\r\n';
    for (const bytes of [
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
      utf16(text, 'le'),
      utf16(text, 'be'),
    ]) {
      const events = await read(bytes, 1_000_000, 3);
      expect(events[0]).toMatchObject({ fields: ['UserName', 'PhoneNumber'] });
      expect(events[1]).toMatchObject({ line: 2, fields: ['zoë@contoso.com', '+1 4255550100'] });
    }
  });

  it('skips blank lines but keeps the real line numbers', async () => {
    const events = await read('\n\nUserName,PhoneNumber\n\n\na@b.com,1\n\nc@d.com,2\n');
    expect(events.map((e) => e.line)).toEqual([3, 6, 8]);
  });

  it('gives a quoted field with a line break the line where the record starts', async () => {
    const events = await read('UserName,PhoneNumber\n"a\nb@c.com",1\nd@e.com,2\n');
    expect(events.slice(1).map((e) => e.line)).toEqual([2, 4]);
  });

  it('keeps a stray quote inside its field so only that row fails validation', async () => {
    const events = await read('UserName,PhoneNumber\na@b.com,"12"x\nc@d.com,2\n');
    expect(events[1]).toEqual({ kind: 'record', line: 2, fields: ['a@b.com', '"12"x'] });
    expect(events[2]).toMatchObject({ kind: 'record', line: 3 });
  });

  it('rejects the file when a quote is never closed, naming the last good line', async () => {
    const p = await problem('UserName,PhoneNumber\na@b.com,1\n"unclosed,2\nc@d.com,3\n');
    expect(p).toMatchObject({ code: 'CSV_MALFORMED' });
    expect(p.message).toMatch(/After line 2: a quoted field is never closed/);
  });

  it('keeps a row with one column as a record (validation reports it)', async () => {
    expect((await read('UserName,PhoneNumber\nonly@one.com\n'))[1]).toEqual({
      kind: 'record',
      line: 2,
      fields: ['only@one.com'],
    });
  });

  it('rejects an empty file and a file of blank lines', async () => {
    expect((await problem('')).code).toBe('CSV_EMPTY');
    expect((await problem('\r\n\r\n  \n')).code).toBe('CSV_EMPTY');
  });

  it('rejects a binary file', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    expect(await problem(png)).toMatchObject({ code: 'FILE_NOT_TEXT' });
    expect(await problem(Buffer.from([0x55, 0x73, 0xff, 0xfe, 0xfd, 0x0a]))).toMatchObject({ code: 'FILE_NOT_TEXT' });
  });

  it('stops reading at the size limit', async () => {
    const big = `UserName,PhoneNumber\n${'a@b.com,+1 4255550100\n'.repeat(1000)}`;
    expect(await problem(big, 2048)).toMatchObject({ code: 'FILE_TOO_LARGE' });
  });

  it('round-trips any fields through quoting, delimiters, line endings and encodings (property)', async () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', 'é', ' ', ',', ';', '\t', '"', '\n', '1', '+'), maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(field, field), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(',', ';', '\t'),
        fc.constantFrom('\n', '\r\n'),
        fc.constantFrom('utf8', 'utf8bom', 'utf16le'),
        async (rows, delimiter, eol, encoding) => {
          const quote = (f: string) => `"${f.replace(/"/g, '""')}"`;
          // Rows whose every field is empty are skipped by design, as blank lines are.
          const kept = rows.filter(([a, b]) => (a + b).trim() !== '');
          const text =
            [`UserName${delimiter}PhoneNumber`, ...rows.map(([a, b]) => `${quote(a)}${delimiter}${quote(b)}`)].join(eol) + eol;
          const bytes =
            encoding === 'utf16le'
              ? utf16(text, 'le')
              : encoding === 'utf8bom'
                ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])
                : Buffer.from(text);
          const events = await read(bytes, 1_000_000, 5);
          const records = events.filter((e) => e.kind === 'record').map((e) => (e.kind === 'record' ? [...e.fields] : []));
          expect(records).toEqual(kept.map(([a, b]) => [a, b]));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('header detection', () => {
  it('picks the most frequent delimiter outside quotes', () => {
    expect(detectDelimiter('a;b;c')).toBe(';');
    expect(detectDelimiter('"a,b";c')).toBe(';');
    expect(detectDelimiter('a\tb')).toBe('\t');
    expect(detectDelimiter('single')).toBe(',');
  });

  it('maps the seed header and its variants in any case and spacing', () => {
    for (const names of [
      ['UserName', 'PhoneNumber'],
      ['userprincipalname', 'MobilePhone'],
      [' UPN ', 'Mobile'],
      ['ObjectId', 'Phone'],
      ['Id', 'Phone Number'],
      ['user_name', 'phone-number'],
    ]) {
      const mapped = mapHeader(names, 1);
      expect(mapped.ok).toBe(true);
      if (mapped.ok) expect([mapped.columns.user, mapped.columns.phone]).toEqual([0, 1]);
    }
  });

  it('finds the optional PhoneType and EnableSmsSignIn columns anywhere', () => {
    const mapped = mapHeader(['Notes', 'EnableSmsSignIn', 'PhoneNumber', 'PhoneType', 'UserName'], 1);
    expect(mapped).toMatchObject({ ok: true, columns: { user: 4, phone: 2, phoneType: 3, enableSmsSignIn: 1 } });
  });

  it('names the missing columns and the ones found', () => {
    const mapped = mapHeader(['Name', 'Email'], 3);
    expect(mapped.ok).toBe(false);
    if (!mapped.ok) {
      expect(mapped.problem.code).toBe('CSV_MISSING_COLUMNS');
      expect(mapped.problem.message).toMatch(/Line 3: .*user column.*phone column.*"Name", "Email"/);
    }
  });

  it('never echoes a data row that stands where the header should be', () => {
    const mapped = mapHeader(['omar.haddad@contosodemo.onmicrosoft.com', '+1 425 555 0142', 'Sales'], 1);
    expect(mapped.ok).toBe(false);
    if (!mapped.ok) {
      expect(mapped.problem.message).not.toMatch(/omar|425|0142/);
      expect(mapped.problem.message).toContain(
        '(cell 1 looks like data; not shown), (cell 2 looks like data; not shown), "Sales"',
      );
    }
  });
});
