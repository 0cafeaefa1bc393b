import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type LocalHost, startLocalHost } from '../../local/host';
import { blobFunction, eventGridFunction, httpFunction, queueFunction, timerFunction } from '../../shared/runtime/definitions';
import { useAzurite } from '../helpers/azurite';
import { eventually, memoryLogger } from '../helpers/host';

describe('local host admin API (POST /admin/functions/<name>)', () => {
  const azurite = useAzurite();
  const calls: { fn: string; value: unknown; metadata: unknown }[] = [];
  const record = (fn: string) => (value: unknown, context: { triggerMetadata?: unknown }) =>
    void calls.push({ fn, value, metadata: context.triggerMetadata });
  let host: LocalHost;

  beforeAll(async () => {
    host = await startLocalHost({
      functions: [
        timerFunction('nightly', { schedule: '0 0 0 1 1 *', handler: record('nightly') }),
        queueFunction('work', { queueName: 'admin-work', connection: 'AzureWebJobsStorage', handler: record('work') }),
        eventGridFunction('events', { handler: record('events') }),
        blobFunction('files', {
          path: 'admin-files/in/{name}',
          connection: 'AzureWebJobsStorage',
          handler: (blob, ctx) => record('files')((blob as Buffer).toString(), ctx),
        }),
        httpFunction('web', { handler: () => ({ status: 200 }) }),
      ],
      port: 0,
      storageConnectionString: azurite.current.connectionString,
      logger: memoryLogger().logger,
    });
  });
  afterAll(async () => {
    await host.close();
  });

  const run = (name: string, body?: unknown) =>
    fetch(`${host.url}/admin/functions/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? '' : JSON.stringify(body),
    });
  const callOf = (fn: string) => eventually(`a call of ${fn}`, () => calls.find((c) => c.fn === fn));

  it('runs a timer now', async () => {
    expect((await run('nightly', {})).status).toBe(202);
    expect((await callOf('nightly')).value).toMatchObject({ isPastDue: false });
  });

  it('passes the input to a queue function, parsed as JSON when it is JSON', async () => {
    expect((await run('work', { input: '{"job":7}' })).status).toBe(202);
    expect((await callOf('work')).value).toEqual({ job: 7 });
  });

  it('passes the input event to an Event Grid function', async () => {
    expect(
      (
        await run('events', {
          input: JSON.stringify({ id: 'e1', eventType: 't', subject: 's', eventTime: '2026-01-01T00:00:00Z', data: {} }),
        })
      ).status,
    ).toBe(202);
    expect((await callOf('events')).value).toMatchObject({ id: 'e1' });
  });

  it('runs a blob function on the blob named by the input', async () => {
    const container = BlobServiceClient.fromConnectionString(azurite.current.connectionString).getContainerClient('admin-files');
    await container.createIfNotExists();
    await container.getBlockBlobClient('in/again.csv').upload('rerun me', 8);
    expect((await run('files', { input: 'admin-files/in/again.csv' })).status).toBe(202);
    const call = await eventually('the rerun', () => calls.find((c) => c.fn === 'files' && c.value === 'rerun me'));
    expect(call.metadata).toMatchObject({ name: 'again.csv', blobTrigger: 'admin-files/in/again.csv' });
  });

  it('rejects unknown functions, HTTP functions and bad input', async () => {
    expect((await run('nope', {})).status).toBe(404);
    expect((await run('web', {})).status).toBe(400);
    expect((await run('files', { input: 'other/x.csv' })).status).toBe(400);
    expect((await run('events', { input: 'not json' })).status).toBe(400);
    expect((await run('work', { input: 42 })).status).toBe(400);
  });
});
