/**
 * Remediation meets the risk tickets here: callbacks find the ticket they approve in the risk ticket table, and
 * outcomes go to the configured ticket system and onto the ticket's own timeline (GET /api/tickets/{ticketId}).
 */

import type { RemediationTicketNotes, TicketDirectory, TicketRecord } from '../remediation/ports';
import { parseTicketId, type RiskTicket, ticketIdFor } from '../risk/model';
import { TableTicketRepository } from '../storage/riskTickets';
import type { TicketNote, TicketProviderName, TicketRef } from '../ticketing/port';
import { ticketProviderFor } from './risk';
import type { Services } from './services';

const RISK_KEY = /^risk:[^:]+:([0-9a-f-]{36}):(.+)$/i;

function record(t: RiskTicket): TicketRecord {
  const ref: TicketRef = {
    provider: t.provider.provider as TicketProviderName,
    externalId: t.provider.externalId ?? '',
    ...(t.provider.displayId ? { displayId: t.provider.displayId } : {}),
    ...(t.provider.url ? { url: t.provider.url } : {}),
  };
  return { ticketId: t.ticketId, userId: t.userId, ref, open: t.state === 'open' };
}

export class RiskTicketDirectory implements TicketDirectory {
  constructor(private readonly repo: TableTicketRepository) {}

  private async byKey(key: string): Promise<RiskTicket | undefined> {
    const m = RISK_KEY.exec(key);
    if (!m) return undefined;
    const t = await this.repo.get(ticketIdFor((m[1] ?? '').toLowerCase(), m[2] ?? ''));
    return t?.key === key ? t : undefined;
  }

  private async byExternalId(externalId: string): Promise<RiskTicket | undefined> {
    // Open tickets are few (one per at-risk user); the provider's id is not a column, so they are scanned.
    const open = await this.repo.list({ state: 'open' });
    return open.find((t) => t.provider.externalId === externalId || t.provider.displayId === externalId);
  }

  async find(
    provider: TicketProviderName,
    by: { readonly ticketId?: string; readonly externalId?: string; readonly key?: string },
  ): Promise<TicketRecord | undefined> {
    let t: RiskTicket | undefined;
    if (by.ticketId) {
      t = parseTicketId(by.ticketId) ? await this.repo.get(by.ticketId) : await this.byExternalId(by.ticketId);
    } else if (by.key) {
      t = await this.byKey(by.key);
      if (t && by.externalId && t.provider.externalId && t.provider.externalId !== by.externalId) t = undefined;
    } else if (by.externalId) {
      t = await this.byExternalId(by.externalId);
    }
    // A callback acts only on tickets of its own system: a ServiceNow callback cannot approve a Jira ticket.
    return t && t.provider.provider === provider ? record(t) : undefined;
  }
}

export function ticketDirectory(services: Services): TicketDirectory {
  return new RiskTicketDirectory(new TableTicketRepository(services.storage));
}

/** Posts the note to the ticket system, then records it on the ticket's timeline (once per note id). */
export function ticketNotes(services: Services): RemediationTicketNotes {
  const repo = new TableTicketRepository(services.storage);
  return {
    async addNote(ref: TicketRef & { readonly ticketId: string }, note: TicketNote): Promise<void> {
      // Built per note: a provider that cannot be built yet fails this write-back (queued), not the action.
      await ticketProviderFor(services).addNote(ref, note);
      await repo.update(ref.ticketId, (t) =>
        t.timeline.some((e) => e.reference === note.noteId)
          ? undefined
          : {
              ...t,
              updatedAt: new Date().toISOString(),
              timeline: [
                ...t.timeline,
                { at: new Date().toISOString(), type: 'updated', source: 'remediation', text: note.text, reference: note.noteId },
              ],
            },
      );
    },
  };
}
