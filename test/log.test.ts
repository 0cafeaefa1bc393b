import { InvocationContext } from '@azure/functions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { createLogger, loggerFor, redact, scrubText } from '../shared/log';
import { maskPhone } from '../shared/phones/mask';

function capture(): { lines: Record<string, unknown>[]; raw: string[]; stream: { write(s: string): void } } {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  return {
    raw,
    lines,
    stream: {
      write(s: string) {
        raw.push(s);
        lines.push(JSON.parse(s) as Record<string, unknown>);
      },
    },
  };
}

describe('log redaction', () => {
  it('masks a phone number passed under a phone key, keeping only the last four digits', () => {
    const out = capture();
    createLogger('info', out.stream).info({ phoneNumber: '+1 4255550100', mobilePhone: '+44 7700900123' }, 'row');
    expect(out.lines[0]?.phoneNumber).toBe('+* ******0100');
    expect(out.lines[0]?.mobilePhone).toBe('+** ******0123');
    expect(out.raw.join('')).not.toContain('4255550100');
  });

  it('masks phone numbers inside message text and nested objects', () => {
    const out = capture();
    createLogger('info', out.stream).info({ row: { note: 'call (425) 555-0100 now' } }, 'user +1 425 555 0100 x12 failed');
    const text = out.raw.join('');
    expect(text).not.toMatch(/425\D{0,2}555\D?0100/);
    expect(text).toContain('0100');
  });

  it('removes TAP codes, tokens, secrets and signatures by key', () => {
    const out = capture();
    createLogger('info', out.stream).info(
      {
        temporaryAccessPass: 'Xy7#kLm9',
        accessToken: 'abc.def',
        clientSecret: 's3cr3t',
        headers: { authorization: 'Bearer abc', 'webhook-signature': 'v1,deadbeef', 'x-hub-signature': 'sha256=00ff' },
        password: 'hunter2',
      },
      'issued',
    );
    const text = out.raw.join('');
    for (const secret of ['Xy7#kLm9', 'abc.def', 's3cr3t', 'Bearer abc', 'deadbeef', '00ff', 'hunter2']) {
      expect(text).not.toContain(secret);
    }
    expect(out.lines[0]?.temporaryAccessPass).toBe('[REDACTED]');
  });

  it('removes bearer tokens, JWTs and storage keys from free text and errors', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl';
    const out = capture();
    const err = new Error(`request with Authorization: Bearer ${jwt} failed; AccountKey=Zm9vYmFy==;`);
    createLogger('info', out.stream).error({ err }, `token ${jwt}`);
    const text = out.raw.join('');
    expect(text).not.toContain(jwt);
    expect(text).not.toContain('Zm9vYmFy');
    expect(text).toContain('failed');
  });

  it('removes ticket provider credentials: Basic auth values and whsec_ secrets in free text', () => {
    const basic = Buffer.from('ops@contoso.example:ATATT3xFfGF0token').toString('base64');
    const text = scrubText(`Authorization: Basic ${basic} with TICKET_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`);
    expect(text).not.toContain(basic);
    expect(text).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(text).toContain('Basic [REDACTED]');
    const out = capture();
    createLogger('info', out.stream).info({ apiToken: 'ATATT3x', SERVICENOW_PASSWORD: 'pw', JIRA_API_TOKEN: 'jt' }, 'settings');
    expect(out.raw.join('')).not.toMatch(/ATATT3x|"pw"|"jt"/);
  });

  it('leaves GUIDs, ISO dates and small counts readable', () => {
    const guid = '3179e48a-750b-4051-897c-87b9720928f7';
    expect(scrubText(`method ${guid} on 2026-11-25 with 12345 rows`)).toBe(`method ${guid} on 2026-11-25 with 12345 rows`);
  });

  it('keeps error codes logged as errorCode while a bare code (an auth code, a pass) is removed', () => {
    const out = capture();
    createLogger('info', out.stream).info({ errorCode: 'PHONE_FILE_INVALID', code: 'Xy7kLm9q' }, 'rejected');
    expect(out.lines[0]).toMatchObject({ errorCode: 'PHONE_FILE_INVALID', code: '[REDACTED]' });
  });

  it('handles cycles without throwing', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redact(a)).toEqual({ name: 'a', self: '[Truncated]' });
  });

  it('writes invocation lines to the Functions context with the invocation id and redaction applied', () => {
    const seen: [string, string][] = [];
    const context = new InvocationContext({
      invocationId: 'inv-1',
      functionName: 'phoneImportWorker',
      logHandler: (level, ...args) => seen.push([level, args.map(String).join(' ')]),
    });
    loggerFor(context, 'info', { runId: 'run-9' }).warn({ phoneNumber: '+1 4255550100' }, 'conflict');
    expect(seen).toHaveLength(1);
    const [level, line] = seen[0]!;
    expect(level).toBe('warning');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toMatchObject({ invocationId: 'inv-1', functionName: 'phoneImportWorker', runId: 'run-9', msg: 'conflict' });
    expect(line).not.toContain('4255550100');
  });

  it('redacts child-logger bindings too (files, users, tokens bound once for a whole run)', () => {
    const out = capture();
    const log = createLogger('info', out.stream).child({
      file: 'call +1 425 555 0100.csv',
      phoneNumber: '+1 425 555 0199',
      token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
    });
    log.info('started');
    const text = out.raw.join('');
    expect(text).not.toMatch(/425\D{0,2}555\D?01(00|99)/);
    expect(text).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(out.lines[0]).toMatchObject({ phoneNumber: '+* *** *** 0199', token: '[REDACTED]', msg: 'started' });
  });
});

describe('phone numbers in free text', () => {
  // The pattern the redactor used before it became linear, kept as the reference for what must be masked.
  const REFERENCE = /(?<![\w.:/-])\+?\(?\d[\d\s().-]{5,}\d(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w-])/gi;
  const reference = (t: string) =>
    t.replace(REFERENCE, (m) => (m.replace(/\D/g, '').length < 7 || /^\d{4}-\d{2}-\d{2}$/.test(m.trim()) ? m : maskPhone(m)));

  it('masks exactly what the reference pattern masks', () => {
    const pieces = fc.constantFrom(
      '1',
      '4',
      '9',
      ' ',
      '-',
      '.',
      '(',
      ')',
      '+',
      'x',
      'ext',
      'a',
      ':',
      '/',
      '\n',
      '_',
      '2026-11-25',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(scrubText(text)).toBe(reference(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('stays linear on long adversarial input (every digit a possible start, no valid end)', { timeout: 20_000 }, () => {
    // 1.2 MB: the reference pattern needs ~10^11 steps here (each of 400k starts rescans the rest); linear needs ~10^6.
    const hostile = '(1-'.repeat(400_000) + '1a';
    expect(scrubText(hostile)).toBe(hostile);
    const numbers = 'call +1 425 555 0100 '.repeat(50_000);
    const masked = scrubText(numbers);
    expect(masked.length).toBe(numbers.length);
    expect(masked.match(/\+\* \*\*\* \*\*\* 0100/g)).toHaveLength(50_000);
  });
});
