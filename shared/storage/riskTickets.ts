/**
 * Risk tickets in table `risktickets`, one partition per user:
 * - row `open`: the user's single open slot (`ticketId`, empty when free). Opening an episode takes the slot and
 *   creates the ticket row in one entity-group transaction, guarded by the slot's etag (or by "create" when the slot
 *   does not exist yet), so of two racing signals exactly one opens a ticket; the other sees 409/412 and updates it.
 *   Closing frees the slot in the same transaction that resolves the ticket.
 * - rows `t.<yyyymmddThhmmssZ>`: the tickets, JSON split over string properties (a property holds 32K characters),
 *   with `state` and `kind` as columns for filtered lists.
 */

import { setTimeout as sleep } from 'node:timers/promises';

import type { TableClient, TransactionAction } from '@azure/data-tables';

import { parseTicketId, type RiskTicket, type TicketListQuery } from '../risk/model';
import type { OpenResult, TicketRepository } from '../risk/ports';
import type { StorageClients } from './clients';
import { orUndefined, statusOf } from './storageErrors';

export const RISK_TICKETS_TABLE = 'risktickets';

const SLOT = 'open';
const CHUNK_CHARS = 30_000;
const MAX_CONFLICT_RETRIES = 20;

/**
 * Waits a random while after losing an etag race: a burst of signals for one user (Event Grid fans a batch out in
 * parallel) otherwise re-reads in lockstep, and one writer can lose every round while others keep arriving.
 */
const afterConflict = (attempt: number) => sleep(Math.random() * Math.min(250, 10 * 2 ** attempt));

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string; etag?: string };

const rowKeyOf = (stamp: string): string => `t.${stamp}`;

function toEntity(t: RiskTicket): Entity {
  const text = JSON.stringify(t);
  const out: Entity = {
    partitionKey: t.userId,
    rowKey: rowKeyOf(parseTicketId(t.ticketId)?.stamp ?? ''),
    state: t.state,
    kind: t.kind,
    chunks: Math.max(1, Math.ceil(text.length / CHUNK_CHARS)),
  };
  for (let i = 0; i * CHUNK_CHARS < text.length || i === 0; i++)
    out[`body${i}`] = text.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
  return out;
}

function fromEntity(e: Record<string, unknown>): RiskTicket {
  const chunks = Number(e.chunks ?? 1);
  let text = '';
  for (let i = 0; i < chunks; i++) {
    const part = e[`body${i}`];
    text += typeof part === 'string' ? part : '';
  }
  return JSON.parse(text) as RiskTicket;
}

const isConflict = (err: unknown): boolean => statusOf(err) === 409 || statusOf(err) === 412;

export class TableTicketRepository implements TicketRepository {
  constructor(private readonly storage: Pick<StorageClients, 'table'>) {}

  private table(): Promise<TableClient> {
    return this.storage.table(RISK_TICKETS_TABLE);
  }

  private async slot(table: TableClient, userId: string): Promise<(Entity & { ticketId?: string }) | undefined> {
    return orUndefined(table.getEntity<Entity & { ticketId?: string }>(userId, SLOT), 404);
  }

  private async read(table: TableClient, ticketId: string): Promise<{ ticket: RiskTicket; etag: string } | undefined> {
    const id = parseTicketId(ticketId);
    if (!id) return undefined;
    const e = await orUndefined(table.getEntity<Entity>(id.userId, rowKeyOf(id.stamp)), 404);
    return e ? { ticket: fromEntity(e), etag: e.etag ?? '*' } : undefined;
  }

  async findOpen(userId: string): Promise<RiskTicket | undefined> {
    const table = await this.table();
    const slot = await this.slot(table, userId);
    if (!slot?.ticketId) return undefined;
    const found = await this.read(table, slot.ticketId);
    return found?.ticket.state === 'open' ? found.ticket : undefined;
  }

  async open(ticket: RiskTicket): Promise<OpenResult> {
    const table = await this.table();
    const slot = await this.slot(table, ticket.userId);
    if (slot?.ticketId) return { created: false };
    const slotEntity: Entity = { partitionKey: ticket.userId, rowKey: SLOT, ticketId: ticket.ticketId };
    const actions: TransactionAction[] = [
      slot ? ['update', slotEntity, 'Replace', { etag: slot.etag ?? '*' }] : ['create', slotEntity],
      ['create', toEntity(ticket)],
    ];
    try {
      await table.submitTransaction(actions);
      return { created: true, ticket };
    } catch (err) {
      if (isConflict(err)) return { created: false };
      throw err;
    }
  }

  async update(ticketId: string, change: (t: RiskTicket) => RiskTicket | undefined): Promise<RiskTicket | undefined> {
    const table = await this.table();
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const found = await this.read(table, ticketId);
      if (!found) return undefined;
      const next = change(found.ticket);
      if (!next) return found.ticket;
      try {
        await table.updateEntity(toEntity(next), 'Replace', { etag: found.etag });
        return next;
      } catch (err) {
        if (!isConflict(err)) throw err;
        await afterConflict(i);
      }
    }
    throw new Error(`ticket ${ticketId}: too many concurrent updates`);
  }

  async close(ticketId: string, change: (t: RiskTicket) => RiskTicket): Promise<RiskTicket | undefined> {
    const table = await this.table();
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const found = await this.read(table, ticketId);
      if (!found || found.ticket.state !== 'open') return undefined;
      const slot = await this.slot(table, found.ticket.userId);
      const next = change(found.ticket);
      const actions: TransactionAction[] = [['update', toEntity(next), 'Replace', { etag: found.etag }]];
      if (slot?.ticketId === ticketId)
        actions.push([
          'update',
          { partitionKey: found.ticket.userId, rowKey: SLOT, ticketId: '' },
          'Replace',
          { etag: slot.etag ?? '*' },
        ]);
      try {
        await table.submitTransaction(actions);
        return next;
      } catch (err) {
        if (!isConflict(err)) throw err;
        await afterConflict(i);
      }
    }
    throw new Error(`ticket ${ticketId}: too many concurrent updates`);
  }

  async get(ticketId: string): Promise<RiskTicket | undefined> {
    return (await this.read(await this.table(), ticketId))?.ticket;
  }

  async list(query: TicketListQuery): Promise<RiskTicket[]> {
    const table = await this.table();
    const clauses = ["RowKey ge 't.'", "RowKey lt 't/'"];
    if (query.userId) clauses.push(`PartitionKey eq '${query.userId}'`);
    if (query.state) clauses.push(`state eq '${query.state}'`);
    if (query.kind) clauses.push(`kind eq '${query.kind}'`);
    const out: RiskTicket[] = [];
    for await (const e of table.listEntities<Entity>({ queryOptions: { filter: clauses.join(' and ') } }))
      out.push(fromEntity(e));
    return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
}
