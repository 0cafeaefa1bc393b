import { describe, expect, it } from 'vitest';

import { downloadText } from '../../shared/storage/blobText';
import { createStorageClients } from '../../shared/storage/clients';
import { useAzurite } from '../helpers/azurite';

const azurite = useAzurite();

/**
 * Found by the kill-and-re-run suite: reading a run record while the run checkpointed it returned JSON cut short,
 * because a size-then-range read (downloadToBuffer) straddled the overwrite. One GET sees one version.
 */
describe('downloadText (real Azurite)', () => {
  it('returns one whole version of a blob that another writer keeps replacing with longer and shorter text', async () => {
    const storage = createStorageClients({ connectionString: azurite.current.connectionString });
    const blob = (await storage.container('blobtext')).getBlockBlobClient('run.json');
    const versions = [JSON.stringify({ v: 'short' }), JSON.stringify({ v: 'long', pad: 'x'.repeat(64 * 1024) })];
    await blob.upload(versions[0] ?? '', Buffer.byteLength(versions[0] ?? ''));
    let writes = 0;
    let reading = true;
    const writer = (async () => {
      while (reading) {
        const text = versions[++writes % 2] ?? '';
        await blob.upload(text, Buffer.byteLength(text));
      }
    })();
    for (let i = 0; i < 200; i++) {
      const text = await downloadText(blob);
      expect(versions).toContain(text);
    }
    reading = false;
    await writer;
    expect(writes).toBeGreaterThan(0);
    expect(await downloadText((await storage.container('blobtext')).getBlobClient('absent.json'))).toBeUndefined();
  });
});
