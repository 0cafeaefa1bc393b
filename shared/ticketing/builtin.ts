/**
 * The built-in ticket system (the default provider): tickets in the app's own table `tickets`, for teams without
 * ServiceNow or Jira, read through GET /api/tickets. One row per dedupe key (row key = the ticket id, a SHA-256 prefix
 * of the key, which may hold characters row keys refuse), so `open` is a create that returns the existing ticket on
 * 409; notes carry their id and are ignored when already there, so retried calls never post twice.
 */

import { createHash } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';

import type { StorageClients } from '../storage/clients';
import type { TicketDraft, TicketNote, TicketProvider, TicketRef, TicketSection, TicketSeverity } from './port';
import { TicketProviderError } from './port';

export const BUILTIN_TICKETS_TABLE = 'tickets';
const PARTITION = 'builtin';
const MAX_CONFLICT_RETRIES = 20;

export interface BuiltinTicket {
  readonly id: string;
  readonly key: string;
  readonly category: string;
  readonly title: string;
  readonly severity: TicketSeverity;
  readonly sections: readonly TicketSection[];
  readonly facts?: TicketDraft['facts'];
  readonly state: 'open' | 'resolved';
  readonly notes: readonly { readonly noteId: string; readonly text: string; readonly at: string }[];
  readonly createdAt: string;
  readonly resolvedAt?: string;
}

const statusOf = (err: unknown): number | undefined => {
  const status = typeof err === 'object' && err !== null ? (err as { statusCode?: unknown }).statusCode : undefined;
  return typeof status === 'number' ? status : undefined;
};

export const builtinIdFor = (key: string): string => `BT-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;

/** Storage failures are outages: retried from the ticket queue like a provider 5xx. */
function outage(err: unknown): TicketProviderError {
  const status = statusOf(err);
  return new TicketProviderError(
    'builtin',
    `built-in ticket table: ${err instanceof Error ? err.message : String(err)}`,
    true,
    status,
  );
}

export class BuiltinTicketProvider implements TicketProvider {
  readonly name = 'builtin' as const;

  constructor(
    private readonly storage: Pick<StorageClients, 'table'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private table(): Promise<TableClient> {
    return this.storage.table(BUILTIN_TICKETS_TABLE);
  }

  async open(draft: TicketDraft): Promise<TicketRef> {
    const id = builtinIdFor(draft.key);
    const ticket: BuiltinTicket = {
      id,
      key: draft.key,
      category: draft.category,
      title: draft.title,
      severity: draft.severity,
      sections: draft.sections,
      ...(draft.facts ? { facts: draft.facts } : {}),
      state: 'open',
      notes: [],
      createdAt: this.now().toISOString(),
    };
    try {
      const table = await this.table();
      await table.createEntity({ partitionKey: PARTITION, rowKey: id, body: JSON.stringify(ticket) });
    } catch (err) {
      if (statusOf(err) !== 409) throw outage(err);
    }
    return { provider: 'builtin', externalId: id, displayId: id };
  }

  async get(key: string): Promise<BuiltinTicket | undefined> {
    try {
      const e = await (await this.table()).getEntity<{ body?: string }>(PARTITION, builtinIdFor(key));
      return e.body ? (JSON.parse(e.body) as BuiltinTicket) : undefined;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw outage(err);
    }
  }

  private async change(ref: TicketRef, apply: (t: BuiltinTicket) => BuiltinTicket | undefined): Promise<void> {
    const table = await this.table().catch((err: unknown) => {
      throw outage(err);
    });
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const found = await this.findById(table, ref.externalId);
      if (!found) throw new TicketProviderError('builtin', `built-in ticket ${ref.externalId} does not exist`, false, 404);
      const next = apply(found.ticket);
      if (!next) return;
      try {
        await table.updateEntity({ partitionKey: PARTITION, rowKey: found.rowKey, body: JSON.stringify(next) }, 'Replace', {
          etag: found.etag,
        });
        return;
      } catch (err) {
        if (statusOf(err) !== 412) throw outage(err);
      }
    }
    throw new TicketProviderError('builtin', `built-in ticket ${ref.externalId}: too many concurrent updates`, true);
  }

  private async findById(
    table: TableClient,
    id: string,
  ): Promise<{ ticket: BuiltinTicket; rowKey: string; etag: string } | undefined> {
    try {
      const e = await table.getEntity<{ body?: string }>(PARTITION, id);
      return e.body ? { ticket: JSON.parse(e.body) as BuiltinTicket, rowKey: id, etag: e.etag } : undefined;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw outage(err);
    }
  }

  addNote(ref: TicketRef, note: TicketNote): Promise<void> {
    const at = this.now().toISOString();
    return this.change(ref, (t) =>
      t.notes.some((n) => n.noteId === note.noteId) ? undefined : { ...t, notes: [...t.notes, { ...note, at }] },
    );
  }

  resolve(ref: TicketRef, note: TicketNote): Promise<void> {
    const at = this.now().toISOString();
    return this.change(ref, (t) =>
      t.state === 'resolved'
        ? undefined
        : {
            ...t,
            state: 'resolved',
            resolvedAt: at,
            notes: t.notes.some((n) => n.noteId === note.noteId) ? t.notes : [...t.notes, { ...note, at }],
          },
    );
  }

  async check(): Promise<{ ok: boolean; detail?: string }> {
    try {
      const table = await this.table();
      for await (const _ of table
        .listEntities({ queryOptions: { filter: `PartitionKey eq '${PARTITION}'` } })
        .byPage({ maxPageSize: 1 }))
        break;
      return { ok: true, detail: 'built-in ticket table reachable' };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }
}
