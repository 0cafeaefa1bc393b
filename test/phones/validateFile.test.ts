import { describe, expect, it } from 'vitest';

import type { CsvEvent } from '../../shared/phones/csv/reader';
import { chunkOfLine, lateRejectsByChunk, RowValidator } from '../../shared/phones/validateFile';

/** The validating read's steps on their own: one CSV event at a time, and where late duplicates are patched. */
const rules = { enableSmsSignInByDefault: false, maxRows: 3 };
const header: CsvEvent = { kind: 'header', line: 1, fields: ['UserName', 'PhoneNumber'], delimiter: ',' };
const record = (line: number, user: string, phone: string): CsvEvent => ({ kind: 'record', line, fields: [user, phone] });

describe('RowValidator', () => {
  it('stores a valid row pending with its normalised number and the masked one', () => {
    const v = new RowValidator(rules);
    expect(v.accept(header)).toEqual({ kind: 'header' });
    expect(v.accept(record(2, 'a@contoso.com', '+1 (425) 555-0100'))).toEqual({
      kind: 'row',
      row: {
        line: 2,
        user: 'a@contoso.com',
        maskedPhone: '+* ******0100',
        phoneNumber: '+1 4255550100',
        phoneType: 'mobile',
        enableSmsSignIn: false,
        state: 'pending',
      },
    });
    expect([v.total, v.rejected]).toEqual([1, 0]);
  });

  it('stores bad, malformed and duplicate rows already done and failed, each with its reason', () => {
    const v = new RowValidator({ ...rules, maxRows: 10 });
    v.accept(header);
    v.accept(record(2, 'a@contoso.com', '+1 425 555 0100'));
    const steps = [
      v.accept(record(3, 'not a upn', '+1 425 555 0101')),
      v.accept({ kind: 'malformed', line: 4, reason: 'characters after a closing quote' }),
      v.accept(record(5, 'A@contoso.com', '+1 425 555 0102')),
    ];
    expect(steps.map((s) => (s.kind === 'row' ? [s.row.state, s.row.status, s.row.reason] : s.kind))).toEqual([
      ['done', 'failed', expect.stringMatching(/user principal name/) as unknown],
      ['done', 'failed', 'characters after a closing quote'],
      ['done', 'failed', 'duplicate: the same user is also on line 2'],
    ]);
    expect([v.total, v.rejected]).toEqual([4, 3]);
    expect([...v.lateRejects]).toEqual([[2, 'duplicate: the same user is also on line 5']]);
  });

  it('stops at the first row over PHONE_MAX_ROWS with a file-level problem', () => {
    const v = new RowValidator(rules);
    v.accept(header);
    for (let line = 2; line <= 4; line++) v.accept(record(line, `u${line}@contoso.com`, `+1 425 555 01${line}0`));
    expect(v.accept(record(5, 'x@contoso.com', '+1 425 555 0199'))).toEqual({
      kind: 'problem',
      problem: { code: 'TOO_MANY_ROWS', message: 'The file has more than 3 rows (PHONE_MAX_ROWS); split it', line: 5 },
    });
  });

  it('rejects a header without a user column as a file-level problem', () => {
    const step = new RowValidator(rules).accept({ ...header, fields: ['Name', 'Phone'] });
    expect(step.kind).toBe('problem');
  });

  it('reports a file with a header but no rows, and a file with no header', () => {
    const v = new RowValidator(rules);
    expect(v.end()?.code).toBe('CSV_EMPTY');
    v.accept(header);
    expect(v.end()).toEqual({ code: 'CSV_NO_ROWS', message: 'The file has a header but no rows', line: 1 });
  });
});

describe('late duplicates', () => {
  it('finds the chunk that holds a line from the chunks’ first lines', () => {
    const starts = [2, 12, 22];
    expect([2, 11, 12, 21, 22, 500].map((line) => chunkOfLine(starts, line))).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('groups late rejects by chunk so each chunk is patched once', () => {
    const late = new Map([
      [3, 'duplicate: a'],
      [14, 'duplicate: b'],
      [5, 'duplicate: c'],
    ]);
    expect(lateRejectsByChunk(late, [2, 12])).toEqual(
      new Map([
        [
          0,
          [
            { line: 3, reason: 'duplicate: a' },
            { line: 5, reason: 'duplicate: c' },
          ],
        ],
        [1, [{ line: 14, reason: 'duplicate: b' }]],
      ]),
    );
  });
});
