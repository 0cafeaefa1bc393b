import { output } from '@azure/functions';
import { describe, expect, it } from 'vitest';

import { startLocalHost } from '../../local/host';
import { parseHostJson } from '../../local/host/hostJson';
import { httpFunction, queueFunction } from '../../shared/runtime/definitions';
import { memoryLogger, UNUSED_STORAGE } from '../helpers/host';

const start = (functions: Parameters<typeof startLocalHost>[0]['functions']) =>
  startLocalHost({ functions, port: 0, storageConnectionString: UNUSED_STORAGE, logger: memoryLogger().logger });

describe('startLocalHost', () => {
  it('refuses two functions with the same name', async () => {
    const handler = () => ({ status: 200 });
    await expect(start([httpFunction('twin', { handler }), httpFunction('Twin', { route: 'other', handler })])).rejects.toThrow(
      /Twin.*unique/,
    );
  });

  it('refuses output bindings it cannot emulate instead of dropping them', async () => {
    const def = queueFunction('withOutput', {
      queueName: 'in',
      connection: 'AzureWebJobsStorage',
      extraOutputs: [output.storageQueue({ queueName: 'out', connection: 'AzureWebJobsStorage' })],
      handler: () => undefined,
    });
    await expect(start([def])).rejects.toThrow(/withOutput/);
  });

  it('refuses a route template it cannot parse, naming it', async () => {
    await expect(start([httpFunction('badRoute', { route: 'a/{x?}/b', handler: () => ({}) })])).rejects.toThrow(/a\/\{x\?\}\/b/);
  });
});

describe('parseHostJson', () => {
  it('maps extensions.queues TimeSpans to milliseconds and keeps the route prefix', () => {
    const settings = parseHostJson({
      version: '2.0',
      extensions: {
        http: { routePrefix: '' },
        queues: {
          maxPollingInterval: '00:00:02',
          visibilityTimeout: '00:00:30.5',
          batchSize: 8,
          newBatchThreshold: 4,
          maxDequeueCount: 3,
          messageEncoding: 'none',
        },
      },
    });
    expect(settings).toEqual({
      routePrefix: '',
      queues: {
        maxPollingIntervalMs: 2000,
        visibilityTimeoutMs: 30_500,
        batchSize: 8,
        newBatchThreshold: 4,
        maxDequeueCount: 3,
        messageEncoding: 'none',
      },
    });
  });

  it('names the bad key of an invalid host.json', () => {
    expect(() => parseHostJson({ extensions: { queues: { visibilityTimeout: '30 seconds' } } })).toThrow(
      /extensions\.queues\.visibilityTimeout/,
    );
  });
});
