/**
 * The risk job's small state in table `riskstate`: poll watermarks (partition `watermark`), what was learned about
 * the tenant (partition `tenant`, row `facts`: P2 licence, refused permissions, a provider refusal) and the Event Grid
 * event ledger (partition `event`, row = SHA-256 of the event id, which may contain characters row keys refuse).
 * Provider retries go to queue `risk-ticket-sync` with the delay as the message's initial invisibility.
 */

import { createHash } from 'node:crypto';

import type { TableClient } from '@azure/data-tables';

import type { EventLedger, ProviderRetryQueue, RiskStateStore, TenantRiskFacts } from '../risk/ports';
import type { StorageClients } from './clients';
import { orUndefined } from './storageErrors';

export const RISK_STATE_TABLE = 'riskstate';
export const RISK_SYNC_QUEUE = 'risk-ticket-sync';

/** An event still `processing` after this long belongs to a crashed invocation: a redelivery may take it over. */
const STALE_CLAIM_MS = 10 * 60_000;
/** Queue messages can be hidden for at most 7 days; our backoff tops out at an hour. */
const MAX_VISIBILITY_S = 7 * 24 * 3600;

const eventRow = (eventId: string): string => createHash('sha256').update(eventId).digest('hex');

export class TableRiskState implements RiskStateStore, EventLedger {
  constructor(
    private readonly storage: Pick<StorageClients, 'table'>,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  private table(): Promise<TableClient> {
    return this.storage.table(RISK_STATE_TABLE);
  }

  async getWatermark(name: 'riskDetections' | 'homeTenantBlocks'): Promise<string | undefined> {
    const e = await orUndefined((await this.table()).getEntity<{ value?: string }>('watermark', name), 404);
    return e?.value;
  }

  async setWatermark(name: 'riskDetections' | 'homeTenantBlocks', value: string): Promise<void> {
    await (await this.table()).upsertEntity({ partitionKey: 'watermark', rowKey: name, value }, 'Replace');
  }

  async getTenantFacts(): Promise<TenantRiskFacts | undefined> {
    const e = await orUndefined((await this.table()).getEntity<{ body?: string }>('tenant', 'facts'), 404);
    return e?.body ? (JSON.parse(e.body) as TenantRiskFacts) : undefined;
  }

  async setTenantFacts(facts: TenantRiskFacts): Promise<void> {
    await (await this.table()).upsertEntity({ partitionKey: 'tenant', rowKey: 'facts', body: JSON.stringify(facts) }, 'Replace');
  }

  async claim(eventId: string): Promise<boolean> {
    const table = await this.table();
    const row = eventRow(eventId);
    const entity = { partitionKey: 'event', rowKey: row, status: 'processing', at: this.clock() };
    if (await orUndefined(table.createEntity(entity), 409)) return true;
    const held = await orUndefined(table.getEntity<{ status?: string; at?: number }>('event', row), 404);
    if (!held) return (await orUndefined(table.createEntity(entity), 409)) !== undefined;
    if (held.status === 'done' || this.clock() - Number(held.at ?? 0) < STALE_CLAIM_MS) return false;
    return (await orUndefined(table.updateEntity(entity, 'Replace', { etag: held.etag }), 404, 412)) !== undefined;
  }

  async complete(eventId: string): Promise<void> {
    await (
      await this.table()
    ).upsertEntity({ partitionKey: 'event', rowKey: eventRow(eventId), status: 'done', at: this.clock() }, 'Replace');
  }

  async release(eventId: string): Promise<void> {
    await orUndefined((await this.table()).deleteEntity('event', eventRow(eventId)), 404);
  }
}

export class QueueProviderRetries implements ProviderRetryQueue {
  constructor(private readonly storage: Pick<StorageClients, 'enqueueJson'>) {}

  async schedule(ticketId: string, attempt: number, delayMs: number): Promise<void> {
    const seconds = Math.min(MAX_VISIBILITY_S, Math.max(1, Math.ceil(delayMs / 1000)));
    await this.storage.enqueueJson(RISK_SYNC_QUEUE, { ticketId, attempt }, { visibilityTimeoutSeconds: seconds });
  }
}
