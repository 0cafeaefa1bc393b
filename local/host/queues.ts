import type { StorageQueueFunctionOptions } from '@azure/functions';
import { type DequeuedMessageItem, QueueClient } from '@azure/storage-queue';

import type { FunctionDefinition } from '../../shared/runtime/definitions';
import type { Invoker } from './invoker';
import { connectionFor, resolvePlaceholders, type SettingsSource } from './settings';
import type { HostLogger, QueueSettings } from './types';

/**
 * Queue triggers with the host's QueueProcessor rules: receive up to `batchSize` messages, fetch more when no more
 * than `newBatchThreshold` are still running, back off when the queue is empty (up to `maxPollingInterval`, at
 * most 1 s locally), delete on success, on failure make the message visible again after `visibilityTimeout`, and
 * once `dequeueCount` reaches `maxDequeueCount` copy it to `<queue>-poison` and delete it.
 * Messages are base64 by default (`messageEncoding`); text that is not base64 is passed as it is, and JSON is parsed.
 * A running message stays invisible for `leaseMs` (the host's 10 minutes), renewed at half-time like the host's
 * visibility updates, so a long invocation never sees its own message delivered a second time.
 */
const MIN_POLL_MS = 50;
const MAX_LOCAL_POLL_MS = 1_000;

interface Listener {
  readonly name: string;
  readonly options: StorageQueueFunctionOptions;
  readonly queue: QueueClient;
  readonly poison: QueueClient;
  readonly active: Set<Promise<void>>;
  loop?: Promise<void>;
}

export function decodeMessage(text: string, encoding: QueueSettings['messageEncoding']): unknown {
  let decoded = text;
  if (encoding === 'base64' && /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0) {
    const bytes = Buffer.from(text, 'base64');
    const utf8 = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    if (bytes.toString('base64') === text && !utf8.includes('\uFFFD')) decoded = utf8;
  }
  try {
    return JSON.parse(decoded) as unknown;
  } catch {
    return decoded;
  }
}

export class QueueTriggers {
  private readonly listeners: Listener[] = [];
  private stopped = false;
  private readonly wake = new Set<() => void>();

  constructor(
    functions: readonly FunctionDefinition[],
    private readonly invoker: Invoker,
    private readonly logger: HostLogger,
    settings: SettingsSource,
    storage: string,
    private readonly settingsForQueues: QueueSettings,
  ) {
    for (const def of functions) {
      if (def.kind !== 'storageQueue') continue;
      const queueName = resolvePlaceholders(def.options.queueName, settings, `queue trigger '${def.name}'`).toLowerCase();
      const connection = connectionFor(def.options.connection, settings, storage);
      this.listeners.push({
        name: def.name,
        options: def.options,
        queue: new QueueClient(connection, queueName),
        poison: new QueueClient(connection, `${queueName}-poison`),
        active: new Set(),
      });
    }
  }

  async start(): Promise<void> {
    for (const listener of this.listeners) {
      await listener.queue.createIfNotExists();
      this.logger.info(
        { functionName: listener.name, queue: listener.queue.name },
        `Queue trigger '${listener.name}' listening on ${listener.queue.name}`,
      );
      listener.loop = this.run(listener);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.wake) wake();
    await Promise.allSettled(this.listeners.flatMap((l) => (l.loop ? [l.loop] : [])));
    await Promise.allSettled(this.listeners.flatMap((l) => [...l.active]));
  }

  private async run(listener: Listener): Promise<void> {
    const s = this.settingsForQueues;
    const maxPoll = Math.max(MIN_POLL_MS, Math.min(s.maxPollingIntervalMs, MAX_LOCAL_POLL_MS));
    let delay = MIN_POLL_MS;
    while (!this.stopped) {
      if (listener.active.size > s.newBatchThreshold) {
        await Promise.race([...listener.active]);
        continue;
      }
      let messages: DequeuedMessageItem[] = [];
      try {
        const response = await listener.queue.receiveMessages({
          numberOfMessages: Math.min(32, Math.max(1, s.batchSize)),
          visibilityTimeout: Math.ceil(s.leaseMs / 1000),
        });
        messages = response.receivedMessageItems;
      } catch (error) {
        this.logger.warn({ err: error, functionName: listener.name }, 'Queue receive failed; retrying');
      }
      if (messages.length === 0) {
        await this.sleep(delay);
        delay = Math.min(maxPoll, delay * 2);
        continue;
      }
      delay = MIN_POLL_MS;
      for (const message of messages) {
        const task = this.process(listener, message).catch((error: unknown) =>
          this.logger.error(
            { err: error, functionName: listener.name, messageId: message.messageId },
            'Queue message handling failed',
          ),
        );
        const tracked = task.finally(() => listener.active.delete(tracked));
        listener.active.add(tracked);
      }
    }
  }

  private async process(listener: Listener, message: DequeuedMessageItem): Promise<void> {
    const s = this.settingsForQueues;
    const lease = new Lease(
      listener.queue,
      message,
      s.leaseMs,
      this.logger.child({ functionName: listener.name, messageId: message.messageId }),
    );
    if (message.dequeueCount > s.maxDequeueCount) return this.toPoison(listener, message, await lease.release());
    const value = decodeMessage(message.messageText, s.messageEncoding);
    let failed = false;
    try {
      await this.invoker.invoke(
        {
          functionName: listener.name,
          triggerType: 'queueTrigger',
          triggerMetadata: {
            id: message.messageId,
            dequeueCount: message.dequeueCount,
            insertionTime: message.insertedOn.toISOString(),
            expirationTime: message.expiresOn.toISOString(),
            nextVisibleTime: message.nextVisibleOn.toISOString(),
            popReceipt: message.popReceipt,
            queueTrigger: typeof value === 'string' ? value : JSON.stringify(value),
          },
        },
        async (context) => listener.options.handler(value, context),
      );
    } catch {
      failed = true;
    }
    const popReceipt = await lease.release();
    if (!failed) {
      await listener.queue.deleteMessage(message.messageId, popReceipt);
      return;
    }
    if (message.dequeueCount >= s.maxDequeueCount) return this.toPoison(listener, message, popReceipt);
    await listener.queue.updateMessage(message.messageId, popReceipt, undefined, Math.ceil(s.visibilityTimeoutMs / 1000));
  }

  private async toPoison(listener: Listener, message: DequeuedMessageItem, popReceipt: string): Promise<void> {
    await listener.poison.createIfNotExists();
    await listener.poison.sendMessage(message.messageText);
    await listener.queue.deleteMessage(message.messageId, popReceipt);
    this.logger.error(
      {
        functionName: listener.name,
        messageId: message.messageId,
        dequeueCount: message.dequeueCount,
        poisonQueue: listener.poison.name,
      },
      `Message has reached MaxDequeueCount of ${this.settingsForQueues.maxDequeueCount}; moved to '${listener.poison.name}'`,
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.add(done);
    });
  }
}

/** Keeps a running message invisible: renews at half the lease; every renewal changes the pop receipt. */
class Lease {
  private popReceipt: string;
  private renewing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly queue: QueueClient,
    private readonly message: DequeuedMessageItem,
    private readonly leaseMs: number,
    private readonly logger: HostLogger,
  ) {
    this.popReceipt = message.popReceipt;
    this.timer = setInterval(
      () => {
        this.renewing = this.renewing.then(() => this.renew());
      },
      Math.max(250, leaseMs / 2),
    );
  }

  private async renew(): Promise<void> {
    try {
      const result = await this.queue.updateMessage(
        this.message.messageId,
        this.popReceipt,
        undefined,
        Math.ceil(this.leaseMs / 1000),
      );
      if (result.popReceipt) this.popReceipt = result.popReceipt;
      this.logger.debug({}, 'Queue message lease renewed');
    } catch (error) {
      this.logger.warn({ err: error }, 'Queue message lease renewal failed; the message may be delivered again');
    }
  }

  /** Stops renewing and returns the pop receipt that is current once any renewal in flight has finished. */
  async release(): Promise<string> {
    clearInterval(this.timer);
    await this.renewing;
    return this.popReceipt;
  }
}
