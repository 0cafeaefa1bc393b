import type { InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { describe, expect, it } from 'vitest';

import { startLocalHost } from '../../local/host';
import { decodeMessage } from '../../local/host/queues';
import { queueFunction } from '../../shared/runtime/definitions';
import { useAzurite } from '../helpers/azurite';
import { eventually, memoryLogger } from '../helpers/host';

const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('local host queue triggers', () => {
  const azurite = useAzurite();
  const queue = async (name: string) => {
    const client = new QueueClient(azurite.current.connectionString, name);
    await client.createIfNotExists();
    return client;
  };
  const startHost = (functions: Parameters<typeof startLocalHost>[0]['functions'], env: Record<string, string> = {}) =>
    startLocalHost({
      functions,
      port: 0,
      storageConnectionString: azurite.current.connectionString,
      logger: memoryLogger().logger,
      timers: { disabled: true },
      env,
    });
  const visibleCount = async (client: QueueClient) =>
    (await client.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length;

  it('passes a base64 JSON message as an object with its metadata and deletes it on success', async () => {
    const got: { value: unknown; metadata: InvocationContext['triggerMetadata'] }[] = [];
    const jobs = await queue('jobs-ok');
    const host = await startHost([
      queueFunction('onJob', {
        queueName: 'jobs-ok',
        connection: 'AzureWebJobsStorage',
        handler: (value, context) => void got.push({ value, metadata: context.triggerMetadata }),
      }),
    ]);
    try {
      await jobs.sendMessage(base64(JSON.stringify({ importId: 'i1', chunk: 3 })));
      const [first] = await eventually('the message', () => got.length > 0 && got);
      expect(first!.value).toEqual({ importId: 'i1', chunk: 3 });
      expect(first!.metadata).toMatchObject({
        dequeueCount: 1,
        id: expect.any(String) as unknown,
        popReceipt: expect.any(String) as unknown,
      });
      expect(Date.parse(String(first!.metadata?.insertionTime))).toBeGreaterThan(0);
      await eventually('the message to be deleted', async () => (await jobs.getProperties()).approximateMessagesCount === 0);
    } finally {
      await host.close();
    }
    expect(await visibleCount(jobs)).toBe(0);
    expect(got).toHaveLength(1);
  });

  it('passes text that is not base64 as it is, resolving %SETTING% in the queue name', async () => {
    const got: unknown[] = [];
    const raw = await queue('raw-text');
    const host = await startHost(
      [
        queueFunction('onRaw', {
          queueName: '%TEST_QUEUE_NAME%',
          connection: 'AzureWebJobsStorage',
          handler: (v) => void got.push(v),
        }),
      ],
      {
        TEST_QUEUE_NAME: 'raw-text',
      },
    );
    try {
      await raw.sendMessage('hello world!');
      await raw.sendMessage(base64('plain but encoded'));
      await eventually('both messages', () => got.length === 2);
    } finally {
      await host.close();
    }
    expect([...got].sort()).toEqual(['hello world!', 'plain but encoded']);
  });

  it('retries a failing message until dequeueCount 5, then moves it to <queue>-poison', async () => {
    const counts: number[] = [];
    const work = await queue('flaky');
    const poison = new QueueClient(azurite.current.connectionString, 'flaky-poison');
    const host = await startHost([
      queueFunction('onFlaky', {
        queueName: 'flaky',
        connection: 'AzureWebJobsStorage',
        handler: (_value, context) => {
          counts.push(Number(context.triggerMetadata?.dequeueCount));
          throw new Error('always fails');
        },
      }),
    ]);
    const text = base64(JSON.stringify({ n: 1 }));
    try {
      await work.sendMessage(text);
      const message = await eventually('the poison message', async () => {
        if (!(await poison.exists())) return undefined;
        return (await poison.receiveMessages()).receivedMessageItems[0];
      });
      expect(message.messageText).toBe(text);
    } finally {
      await host.close();
    }
    expect(counts).toEqual([1, 2, 3, 4, 5]);
    expect(await visibleCount(work)).toBe(0);
  });

  it('processes a burst of messages concurrently up to the batch limits', async () => {
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const burst = await queue('burst');
    await Promise.all(Array.from({ length: 40 }, (_, i) => burst.sendMessage(base64(JSON.stringify({ i })))));
    const host = await startHost([
      queueFunction('onBurst', {
        queueName: 'burst',
        connection: 'AzureWebJobsStorage',
        handler: async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await gate;
          running--;
          done++;
        },
      }),
    ]);
    try {
      await eventually('a full first batch', () => running >= 16);
      release();
      await eventually('all 40 messages', () => done === 40);
    } finally {
      release();
      await host.close();
    }
    expect(maxRunning).toBeGreaterThanOrEqual(16);
    expect(maxRunning).toBeLessThanOrEqual(16 + 8 + 1);
  });

  it('renews the lease of a long-running message so it is not delivered twice', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { logger, lines } = memoryLogger();
    const longQueue = await queue('long-running');
    const host = await startLocalHost({
      functions: [
        queueFunction('onLong', {
          queueName: 'long-running',
          connection: 'AzureWebJobsStorage',
          handler: async () => {
            calls++;
            await gate;
          },
        }),
      ],
      port: 0,
      storageConnectionString: azurite.current.connectionString,
      logger,
      timers: { disabled: true },
      settings: { queues: { leaseMs: 1_000 } },
    });
    try {
      await longQueue.sendMessage(base64('"slow"'));
      // Three renewals of a 1 s lease: without them the message would have become visible again meanwhile.
      await eventually('three lease renewals', () => lines.filter((l) => l.msg === 'Queue message lease renewed').length >= 3);
      release();
      await eventually('the message to be deleted', async () => (await longQueue.getProperties()).approximateMessagesCount === 0);
    } finally {
      release();
      await host.close();
    }
    expect(calls).toBe(1);
  });

  it('decodes base64 only when it round-trips to UTF-8 text', () => {
    expect(decodeMessage(base64('{"a":1}'), 'base64')).toEqual({ a: 1 });
    expect(decodeMessage('abcd', 'base64')).toBe('abcd'); // base64 of bytes that are not UTF-8 text
    expect(decodeMessage('{"a":1}', 'base64')).toEqual({ a: 1 });
    expect(decodeMessage(base64('x'), 'none')).toBe(base64('x'));
  });
});
