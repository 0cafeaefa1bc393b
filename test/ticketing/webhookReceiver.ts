import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

import { verify } from '../../shared/ticketing/standardWebhooks';

/**
 * A receiver for the webhook provider's tests, written as the docs tell receivers to be: verify against the raw body
 * first, dedupe on webhook-id, answer 2xx. `failNext` makes it answer an error (with Retry-After) before it accepts.
 */
export interface ReceivedEvent {
  readonly id: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: { type: string; timestamp: string; data: Record<string, unknown> };
}

export interface WebhookReceiver {
  readonly url: string;
  /** Every verified delivery, duplicates included. */
  readonly deliveries: ReceivedEvent[];
  /** Verified events after dedupe on webhook-id. */
  readonly events: ReadonlyMap<string, ReceivedEvent>;
  rejected: number;
  failNext(status: number, retryAfterSeconds?: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secrets: readonly string[]): Promise<WebhookReceiver> {
  const deliveries: ReceivedEvent[] = [];
  const events = new Map<string, ReceivedEvent>();
  const failures: { status: number; retryAfter?: number }[] = [];
  const state = { rejected: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'HEAD') {
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const failure = failures.shift();
      if (failure) {
        res
          .writeHead(failure.status, failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) })
          .end('try later');
        return;
      }
      const result = verify(secrets, req.headers, raw);
      if (!result.ok) {
        state.rejected++;
        res.writeHead(401).end(result.message);
        return;
      }
      const event: ReceivedEvent = {
        id: result.id,
        headers: req.headers,
        body: JSON.parse(raw.toString('utf8')) as ReceivedEvent['body'],
      };
      deliveries.push(event);
      if (!events.has(result.id)) events.set(result.id, event);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/tickets`,
    deliveries,
    events,
    get rejected() {
      return state.rejected;
    },
    set rejected(v: number) {
      state.rejected = v;
    },
    failNext: (status, retryAfterSeconds) =>
      failures.push({ status, ...(retryAfterSeconds === undefined ? {} : { retryAfter: retryAfterSeconds }) }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
