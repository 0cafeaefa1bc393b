import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { TicketDraft } from '../../shared/ticketing/port';
import { generateSecret } from '../../shared/ticketing/standardWebhooks';
import { WebhookProvider, webhookTicketId } from '../../shared/ticketing/webhook';
import { failure } from './standIns';
import { startWebhookReceiver, type WebhookReceiver } from './webhookReceiver';

const SECRET = generateSecret();
const draft = (key: string): TicketDraft => ({
  key,
  category: 'risk',
  title: 'At-risk member',
  severity: 'low',
  sections: [{ heading: 'Why', lines: ['Unfamiliar sign-in properties'] }],
  facts: { riskLevel: 'low', guest: false },
});

describe('webhook provider (Standard Webhooks)', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver([SECRET]);
  });
  afterAll(() => receiver.close());
  afterEach(() => {
    receiver.deliveries.length = 0;
    (receiver.events as Map<string, unknown>).clear();
    receiver.rejected = 0;
  });
  const provider = (secrets: readonly string[] = [SECRET], url = receiver.url) =>
    new WebhookProvider({ url, secrets, timeoutMs: 2_000 });

  it('delivers ticket.opened, ticket.updated and ticket.resolved as signed { type, timestamp, data } bodies', async () => {
    const p = provider();
    const ref = await p.open(draft('risk:t:u1:e1'));
    expect(ref).toEqual({ provider: 'webhook', externalId: webhookTicketId('risk:t:u1:e1') });
    await p.addNote(ref, { noteId: 'n1', text: 'new detection' });
    await p.resolve(ref, { noteId: 'done', text: 'risk dismissed' });
    expect(receiver.deliveries.map((d) => d.body.type)).toEqual(['ticket.opened', 'ticket.updated', 'ticket.resolved']);
    expect(receiver.deliveries[0]?.body.data).toMatchObject({
      ticketId: ref.externalId,
      key: 'risk:t:u1:e1',
      severity: 'low',
      facts: { guest: false },
    });
    expect(receiver.deliveries[2]?.body.data).toEqual({ ticketId: ref.externalId, noteId: 'done', text: 'risk dismissed' });
    expect(receiver.rejected).toBe(0);
  });

  it('a retried event carries the same webhook-id, so the receiver keeps one copy', async () => {
    const p = provider();
    receiver.failNext(503, 4);
    const error = await failure(p.open(draft('risk:t:u2:e1')));
    expect(error).toMatchObject({ retryable: true, status: 503, retryAfterMs: 4_000 });
    await p.open(draft('risk:t:u2:e1'));
    await p.open(draft('risk:t:u2:e1'));
    expect(receiver.deliveries).toHaveLength(2);
    expect(receiver.events.size).toBe(1);
    // Different notes on one ticket are different events.
    const ref = { provider: 'webhook' as const, externalId: webhookTicketId('risk:t:u2:e1') };
    await p.addNote(ref, { noteId: 'a', text: 'x' });
    await p.addNote(ref, { noteId: 'b', text: 'x' });
    await p.addNote(ref, { noteId: 'a', text: 'x' });
    expect(receiver.events.size).toBe(3);
  });

  it('signs with every configured secret so receivers can rotate', async () => {
    await provider([generateSecret(), SECRET]).open(draft('risk:t:u3:e1'));
    expect(String(receiver.deliveries[0]?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(receiver.rejected).toBe(0);
  });

  it('a receiver that refuses the signature is a non-retryable error; one that throttles is retryable', async () => {
    expect(await failure(provider([generateSecret()]).open(draft('risk:t:u4:e1')))).toMatchObject({
      retryable: false,
      status: 401,
    });
    expect(receiver.rejected).toBe(1);
    receiver.failNext(429, 10);
    expect(await failure(provider().open(draft('risk:t:u4:e1')))).toMatchObject({ retryable: true, retryAfterMs: 10_000 });
    receiver.failNext(410);
    expect(await failure(provider().open(draft('risk:t:u4:e1')))).toMatchObject({ retryable: false, status: 410 });
  });

  it('an unreachable receiver is retryable, and health says so', async () => {
    const closed = await startWebhookReceiver([SECRET]);
    const url = closed.url;
    await closed.close();
    expect(await failure(provider([SECRET], url).open(draft('risk:t:u5:e1')))).toMatchObject({ retryable: true });
    expect((await provider([SECRET], url).check()).ok).toBe(false);
    expect(await provider().check()).toEqual({ ok: true, detail: 'receiver reachable (HEAD answered 405)' });
  });
});
