import { describe, expect, it } from 'vitest';

import { createStorageClients } from '../../shared/storage/clients';
import { TableRowStore } from '../../shared/storage/phoneImportStore';
import { useAzurite } from '../helpers/azurite';

const azurite = useAzurite();

/**
 * Found by the CSV fuzzer: a chunk of rows from a hostile CSV (fields of thousands of control characters, a
 * 200,000-character "phone number") failed its table transaction (4 MiB payload, 64 KiB per string), and the upload
 * answered 500. Rows are now cut to their stored length and sent in transactions that fit.
 */
describe('TableRowStore (real Azurite)', () => {
  it('stores a chunk of 100 rows whose escaped fields exceed one transaction, and reads them back in order', async () => {
    const storage = createStorageClients({ connectionString: azurite.current.connectionString });
    const rows = new TableRowStore(() => storage.table('phonerowsfuzz'));
    const hostile = '\u0000\u0001'.repeat(3_000);
    const chunk = Array.from({ length: 100 }, (_, i) => ({
      line: i + 2,
      user: `${hostile}${i}`,
      maskedPhone: '*'.repeat(200_000),
      state: 'done' as const,
      status: 'failed' as const,
      reason: hostile,
    }));
    await rows.putRows('import-1', 0, chunk);
    const stored = await rows.chunkRows('import-1', 0);
    expect(stored.map((r) => r.line)).toEqual(chunk.map((r) => r.line));
    expect(stored.every((r) => r.maskedPhone.length <= 4_000 && r.user.length <= 4_000)).toBe(true);
    await rows.patchRows(
      'import-1',
      0,
      chunk.map((r) => ({ line: r.line, reason: `${hostile}!` })),
    );
    expect((await rows.chunkRows('import-1', 0)).every((r) => r.reason?.startsWith('\u0000'))).toBe(true);
  });

  it('stores line and paragraph separators from a quoted field as visible escapes (the fuzzer found Azurite refusing them)', async () => {
    const storage = createStorageClients({ connectionString: azurite.current.connectionString });
    const rows = new TableRowStore(() => storage.table('phonerowsseparators'));
    await rows.putRows('import-2', 0, [
      { line: 2, user: 'a\u2028b', maskedPhone: '\u2029', state: 'done', status: 'failed', reason: 'x\u2028' },
    ]);
    expect(await rows.chunkRows('import-2', 0)).toEqual([
      expect.objectContaining({ user: 'a\\u2028b', maskedPhone: '\\u2029', reason: 'x\\u2028' }),
    ]);
  });
});
