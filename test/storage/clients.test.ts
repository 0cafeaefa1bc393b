import { describe, expect, it } from 'vitest';

import { createStorageClients } from '../../shared/storage/clients';
import { checkStorage } from '../../shared/storage/health';
import { useAzurite } from '../helpers/azurite';

const azurite = useAzurite();

describe('storage clients (real Azurite)', () => {
  it('creates tables, containers and queues on first use, once', async () => {
    const storage = createStorageClients({ connectionString: azurite.current.connectionString });
    const [a, b] = await Promise.all([storage.table('things'), storage.table('things')]);
    expect(a).toBe(b);
    await a.upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 1 });
    const container = await storage.container('drops');
    await container.getBlockBlobClient('incoming/a.csv').upload('x', 1);
    expect((await container.getBlobClient('incoming/a.csv').downloadToBuffer()).toString()).toBe('x');
  });

  it('enqueues JSON base64-encoded, as the Functions queue trigger expects', async () => {
    const storage = createStorageClients({ connectionString: azurite.current.connectionString });
    await storage.enqueueJson('work-items', { chunk: 3, rows: [1, 2] });
    const queue = await storage.queue('work-items');
    const { receivedMessageItems } = await queue.receiveMessages();
    const text = Buffer.from(receivedMessageItems[0]?.messageText ?? '', 'base64').toString('utf8');
    expect(JSON.parse(text)).toEqual({ chunk: 3, rows: [1, 2] });
  });

  it('reports healthy storage with real round trips, and unhealthy when it is unreachable', async () => {
    const up = createStorageClients({ connectionString: azurite.current.connectionString });
    expect((await checkStorage(up)).ok).toBe(true);
    const down = createStorageClients({
      connectionString: azurite.current.connectionString.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:9'),
    });
    const report = await checkStorage(down, 1000);
    expect(report.ok).toBe(false);
    expect(report.detail).toBeTruthy();
  });
});
