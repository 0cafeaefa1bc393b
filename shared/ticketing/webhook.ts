/**
 * Tickets as signed JSON POSTs to a receiver the team runs (a Logic App, an ITSM's inbound webhook, their own code),
 * the Standard Webhooks way: `{ type, timestamp, data }` bodies with `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` headers.
 *
 * `webhook-id` is derived from the event itself (the ticket, the event type and the note id), never random: a delivery
 * retried from our ticket queue carries the same id, so the receiver's dedupe on `webhook-id` makes retries harmless.
 * The ticket id is derived from our dedupe key the same way, so the same key always names the same ticket.
 */

import type { Logger } from 'pino';

import { type ProviderHttpOptions, sendProviderRequest } from './http';
import { type TicketDraft, type TicketNote, type TicketProvider, TicketProviderError, type TicketRef } from './port';
import { keyDigest } from './render';
import { signHeaders } from './standardWebhooks';

export type WebhookEventType = 'ticket.opened' | 'ticket.updated' | 'ticket.resolved';

export interface WebhookOptions {
  readonly url: string;
  /** `whsec_` secrets; every one signs each delivery, so the receiver can rotate to the second one. */
  readonly secrets: readonly string[];
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export const webhookTicketId = (key: string): string => `tkt_${keyDigest(key, 32)}`;
export const webhookMessageId = (type: WebhookEventType, ticketId: string, noteId = ''): string =>
  `msg_${keyDigest(`${type}\n${ticketId}\n${noteId}`, 32)}`;

export class WebhookProvider implements TicketProvider {
  readonly name = 'webhook' as const;
  private readonly http: ProviderHttpOptions;

  constructor(private readonly options: WebhookOptions) {
    if (options.secrets.length === 0) throw new Error('The webhook ticket provider needs at least one signing secret');
    this.http = {
      provider: 'webhook',
      baseUrl: options.url,
      describeError: (body) => (typeof body === 'string' ? body.slice(0, 200) : undefined),
      authHint: 'Check that the receiver verifies with the secret in TICKET_WEBHOOK_SECRET (Standard Webhooks).',
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.now === undefined ? {} : { now: options.now }),
    };
  }

  async open(draft: TicketDraft): Promise<TicketRef> {
    const ticketId = webhookTicketId(draft.key);
    await this.send('ticket.opened', ticketId, '', {
      ticketId,
      key: draft.key,
      category: draft.category,
      title: draft.title,
      severity: draft.severity,
      sections: draft.sections,
      facts: draft.facts ?? {},
    });
    return { provider: 'webhook', externalId: ticketId };
  }

  async addNote(ref: TicketRef, note: TicketNote): Promise<void> {
    await this.send('ticket.updated', ref.externalId, note.noteId, {
      ticketId: ref.externalId,
      noteId: note.noteId,
      text: note.text,
    });
  }

  async resolve(ref: TicketRef, note: TicketNote): Promise<void> {
    await this.send('ticket.resolved', ref.externalId, note.noteId, {
      ticketId: ref.externalId,
      noteId: note.noteId,
      text: note.text,
    });
  }

  /**
   * A webhook has no read API, so health proves what it can without sending an event: the receiver answers an unsigned
   * HEAD (any status below 500, 405 included, means DNS, TLS and the network path work).
   */
  async check(): Promise<{ readonly ok: boolean; readonly detail?: string }> {
    try {
      await sendProviderRequest(this.http, { method: 'HEAD', path: this.options.url, action: 'reach the receiver' });
      return { ok: true, detail: 'receiver reachable' };
    } catch (e) {
      if (!(e instanceof TicketProviderError)) throw e;
      if (e.status !== undefined && e.status < 500) return { ok: true, detail: `receiver reachable (HEAD answered ${e.status})` };
      return { ok: false, detail: e.message };
    }
  }

  private async send(type: WebhookEventType, ticketId: string, noteId: string, data: Record<string, unknown>): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    const body = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
    const id = webhookMessageId(type, ticketId, noteId);
    await sendProviderRequest(this.http, {
      method: 'POST',
      path: this.options.url,
      headers: { ...signHeaders(this.options.secrets, id, body, now), 'content-type': 'application/json' },
      body,
      action: `deliver ${type}`,
    });
  }
}
