import type { InvocationContext } from '@azure/functions';
import { type BlobClient, BlobServiceClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { describe, expect, it } from 'vitest';

import { startLocalHost } from '../../local/host';
import { BLOB_POISON_QUEUE } from '../../local/host/blobs';
import { blobFunction } from '../../shared/runtime/definitions';
import { useAzurite } from '../helpers/azurite';
import { eventually, memoryLogger } from '../helpers/host';

interface Delivery {
  name: string;
  content: string;
  metadata: InvocationContext['triggerMetadata'];
}

describe('local host blob triggers', () => {
  const azurite = useAzurite();
  const container = (name: string) =>
    BlobServiceClient.fromConnectionString(azurite.current.connectionString).getContainerClient(name);
  const upload = async (containerName: string, blobName: string, text: string) => {
    await container(containerName).createIfNotExists();
    await container(containerName)
      .getBlockBlobClient(blobName)
      .upload(text, Buffer.byteLength(text), {
        blobHTTPHeaders: { blobContentType: 'text/csv' },
        metadata: { source: 'test' },
      });
  };
  const startHost = (functions: Parameters<typeof startLocalHost>[0]['functions']) =>
    startLocalHost({
      functions,
      port: 0,
      storageConnectionString: azurite.current.connectionString,
      logger: memoryLogger().logger,
      timers: { disabled: true },
      pollIntervalMs: 50,
    });

  it('delivers a new blob matching the path with its content and trigger metadata', async () => {
    const deliveries: Delivery[] = [];
    const def = blobFunction('onDrop', {
      path: 'drops/incoming/{name}',
      connection: 'AzureWebJobsStorage',
      handler: (blob, context) =>
        void deliveries.push({
          name: String(context.triggerMetadata?.name),
          content: (blob as Buffer).toString(),
          metadata: context.triggerMetadata,
        }),
    });
    const host = await startHost([def]);
    try {
      await upload('drops', 'incoming/contacts.csv', 'UserName,PhoneNumber\n');
      await upload('drops', 'elsewhere/ignored.csv', 'nope');
      const [delivery] = await eventually('the blob delivery', () => deliveries.length > 0 && deliveries);
      expect(delivery!.name).toBe('contacts.csv');
      expect(delivery!.content).toBe('UserName,PhoneNumber\n');
      expect(delivery!.metadata).toMatchObject({
        blobTrigger: 'drops/incoming/contacts.csv',
        uri: expect.stringMatching(/\/drops\/incoming\/contacts\.csv$/) as unknown,
        metadata: { source: 'test' },
        properties: { contentType: 'text/csv', contentLength: 21 },
      });
    } finally {
      await host.close();
    }
    expect(deliveries.map((d) => d.name)).toEqual(['contacts.csv']);
  });

  it('hands SDK clients instead of content to an sdkBinding trigger', async () => {
    const urls: string[] = [];
    const def = blobFunction('deferred', {
      path: 'deferred/{name}',
      connection: 'AzureWebJobsStorage',
      sdkBinding: true,
      handler: async (blob) => {
        const { blobClient } = blob as { blobClient: BlobClient };
        urls.push(`${blobClient.url} ${(await blobClient.downloadToBuffer()).toString()}`);
      },
    });
    const host = await startHost([def]);
    try {
      await upload('deferred', 'big.csv', 'streamed');
      const [url] = await eventually('the deferred delivery', () => urls.length > 0 && urls);
      expect(url).toMatch(/\/deferred\/big\.csv streamed$/);
    } finally {
      await host.close();
    }
  });

  it('delivers each blob exactly once, also across a host restart', async () => {
    const seen: string[] = [];
    const def = blobFunction('onceOnly', {
      path: 'once/{name}',
      connection: 'AzureWebJobsStorage',
      handler: (_blob, context) => void seen.push(String(context.triggerMetadata?.name)),
    });
    await upload('once', 'a.csv', 'a');
    const first = await startHost([def]);
    try {
      await upload('once', 'b.csv', 'b');
      await eventually('a and b', () => seen.includes('a.csv') && seen.includes('b.csv'));
    } finally {
      await first.close();
    }
    const second = await startHost([def]);
    try {
      await upload('once', 'c.csv', 'c');
      await eventually('c after the restart', () => seen.includes('c.csv'));
    } finally {
      await second.close(); // waits for the scan that delivered c, which also saw a and b
    }
    expect([...seen].sort()).toEqual(['a.csv', 'b.csv', 'c.csv']);
  });

  it('delivers a blob again when it is overwritten (new ETag)', async () => {
    const contents: string[] = [];
    const def = blobFunction('onChange', {
      path: 'changes/{name}',
      connection: 'AzureWebJobsStorage',
      handler: (blob) => void contents.push((blob as Buffer).toString()),
    });
    const host = await startHost([def]);
    try {
      await upload('changes', 'x.csv', 'v1');
      await eventually('v1', () => contents.includes('v1'));
      await upload('changes', 'x.csv', 'v2');
      await eventually('v2', () => contents.includes('v2'));
    } finally {
      await host.close();
    }
    expect(contents).toEqual(['v1', 'v2']);
  });

  it('retries a failing blob 5 times, then reports it on the blob poison queue', async () => {
    let attempts = 0;
    const def = blobFunction('alwaysFailsBlob', {
      path: 'broken/{name}',
      connection: 'AzureWebJobsStorage',
      handler: () => {
        attempts++;
        throw new Error('cannot parse');
      },
    });
    const poison = new QueueClient(azurite.current.connectionString, BLOB_POISON_QUEUE);
    const host = await startHost([def]);
    try {
      await upload('broken', 'bad.csv', 'x');
      const message = await eventually('the poison message', async () => {
        if (!(await poison.exists())) return undefined;
        return (await poison.receiveMessages()).receivedMessageItems[0];
      });
      expect(JSON.parse(Buffer.from(message.messageText, 'base64').toString())).toMatchObject({
        Type: 'BlobTrigger',
        FunctionId: 'Host.Functions.alwaysFailsBlob',
        ContainerName: 'broken',
        BlobName: 'bad.csv',
      });
    } finally {
      await host.close();
    }
    expect(attempts).toBe(5);
  });
});
