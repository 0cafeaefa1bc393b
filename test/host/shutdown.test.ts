import { QueueClient } from '@azure/storage-queue';
import { describe, expect, it } from 'vitest';

import { startLocalHost } from '../../local/host';
import { httpFunction, queueFunction } from '../../shared/runtime/definitions';
import { useAzurite } from '../helpers/azurite';
import { eventually, memoryLogger, UNUSED_STORAGE } from '../helpers/host';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
};

describe('local host shutdown', () => {
  const azurite = useAzurite();

  it('finishes an in-flight HTTP request, then refuses new connections', async () => {
    const g = gate();
    let started = false;
    const host = await startLocalHost({
      functions: [
        httpFunction('slow', {
          route: 'slow',
          methods: ['GET'],
          handler: async () => {
            started = true;
            await g.opened;
            return { jsonBody: { done: true } };
          },
        }),
      ],
      port: 0,
      storageConnectionString: UNUSED_STORAGE,
      logger: memoryLogger().logger,
    });
    const inFlight = fetch(`${host.url}/api/slow`);
    await eventually('the handler to start', () => started);
    const closed = host.close();
    g.open();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    await closed;
    await expect(fetch(`${host.url}/api/slow`)).rejects.toThrow();
  });

  it('gives up on invocations that outlive the drain timeout and says so', async () => {
    let started = false;
    const { logger, lines } = memoryLogger();
    const host = await startLocalHost({
      functions: [
        httpFunction('stuck', {
          route: 'stuck',
          methods: ['GET'],
          handler: async () => {
            started = true;
            await new Promise(() => undefined);
            return { status: 200 };
          },
        }),
      ],
      port: 0,
      storageConnectionString: UNUSED_STORAGE,
      logger,
      drainTimeoutMs: 100,
    });
    const request = fetch(`${host.url}/api/stuck`).catch((error: unknown) => error);
    await eventually('the handler to start', () => started);
    await host.close();
    expect(lines.some((l) => l.level === 'warn' && /still running/.test(l.msg))).toBe(true);
    expect(await request).toBeInstanceOf(Error);
  });

  it('lets a running queue message finish and delete it, and takes no new ones', async () => {
    const g = gate();
    const handled: unknown[] = [];
    const queue = new QueueClient(azurite.current.connectionString, 'shutdown-work');
    await queue.createIfNotExists();
    const host = await startLocalHost({
      functions: [
        queueFunction('onWork', {
          queueName: 'shutdown-work',
          connection: 'AzureWebJobsStorage',
          handler: async (value) => {
            handled.push(value);
            await g.opened;
          },
        }),
      ],
      port: 0,
      storageConnectionString: azurite.current.connectionString,
      logger: memoryLogger().logger,
    });
    await queue.sendMessage(Buffer.from('"first"').toString('base64'));
    await eventually('the first message to start', () => handled.length === 1);
    const closed = host.close();
    await queue.sendMessage(Buffer.from('"after close"').toString('base64'));
    g.open();
    await closed;
    expect(handled).toEqual(['first']);
    const left = (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) =>
      Buffer.from(m.messageText, 'base64').toString(),
    );
    expect(left).toEqual(['"after close"']);
  });
});
