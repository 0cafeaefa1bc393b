import { InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { phoneImportBlobHandler } from '../../functions/phoneImportBlob';
import { setServices } from '../../shared/runtime/services';
import { usePhoneHarness } from './harness';

/**
 * The blob trigger through the real function on Azurite: the import's audit entry carries what finds the upload in
 * the storage logs (request id when the trigger has it, else the blob's ETag and last-modified time).
 */
const harness = usePhoneHarness();

function blobContext(name: string, extra: Record<string, unknown>): InvocationContext {
  return new InvocationContext({
    invocationId: `inv-${name}`,
    functionName: 'phoneImportBlob',
    triggerMetadata: { blobTrigger: `phone-imports/incoming/${name}`, ...extra },
  });
}

async function receivedEntries(file: string) {
  const entries = await harness.current.services.audit.list();
  return entries.filter((e) => e.action === 'phones.import.received' && e.target === file);
}

describe('phoneImportBlob audit of the upload', () => {
  beforeAll(() => setServices(harness.current.services));
  afterAll(() => setServices(undefined));

  it('records the blob ETag, times and URI (no SAS) once per import, and the request ids when the trigger has them', async () => {
    const h = harness.current;
    const csv = 'UserName,PhoneNumber\nnobody@contoso.example,+1 206 555 0100\n';
    await h.upload('incoming/attrib.csv', csv);
    const meta = {
      uri: 'https://acct.blob.core.windows.net/phone-imports/incoming/attrib.csv?sv=2024&sig=secret',
      properties: { ETag: '"0x8DC0FFEE"', LastModified: new Date('2026-12-02T10:00:00Z'), ContentLength: 60 },
    };
    await phoneImportBlobHandler(null, blobContext('attrib.csv', meta));
    // A re-delivery of the same blob is not a new upload.
    await h.upload('incoming/attrib.csv', csv);
    await phoneImportBlobHandler(null, blobContext('attrib.csv', meta));

    const entries = await receivedEntries('attrib.csv');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: 'blob:attrib.csv',
      job: 'phones',
      details: {
        source: 'incoming/attrib.csv',
        upload: {
          etag: '"0x8DC0FFEE"',
          lastModified: '2026-12-02T10:00:00.000Z',
          uri: 'https://acct.blob.core.windows.net/phone-imports/incoming/attrib.csv',
        },
      },
    });
    expect(entries[0]?.runId).toMatch(/^imp[0-9a-f]{29}$/);
    expect(JSON.stringify(entries)).not.toContain('sig=');

    await h.upload('incoming/eventgrid.csv', 'UserName,PhoneNumber\n');
    await phoneImportBlobHandler(
      null,
      blobContext('eventgrid.csv', {
        requestId: '831e1650-001e-001b-66ab-eeb76e000000',
        clientRequestId: '6d79dbfb-0e37-4fc4-981f-442c9ca65760',
        properties: { etag: '"0x1"' },
      }),
    );
    expect((await receivedEntries('eventgrid.csv'))[0]?.details).toMatchObject({
      upload: {
        requestId: '831e1650-001e-001b-66ab-eeb76e000000',
        clientRequestId: '6d79dbfb-0e37-4fc4-981f-442c9ca65760',
        etag: '"0x1"',
      },
    });
  });
});
