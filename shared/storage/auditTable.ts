import { randomUUID } from 'node:crypto';

import type { TableClient, TableEntityResult, TransactionAction } from '@azure/data-tables';

import type { AuditEntry, AuditQuery, AuditReader, AuditSink, StoredAuditEntry } from '../audit';
import { redact, scrubText } from '../log';

export const AUDIT_TABLE = 'audit';

/**
 * Audit log in Table Storage. Partition = UTC day, row key = inverted timestamp + id, so a day's partition lists
 * newest first and writes of one batch go in one transaction (max 100 per transaction).
 */
type AuditEntity = {
  partitionKey: string;
  rowKey: string;
  at: string;
  action: string;
  outcome: string;
  actor: string;
  target?: string;
  job?: string;
  runId?: string;
  reason?: string;
  details?: string;
};

const MAX_TICKS = 9_999_999_999_999;
const MAX_PROPERTY_CHARS = 30_000;

const dayKey = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');

function toEntity(entry: AuditEntry, now: Date): AuditEntity {
  const rowKey = `${String(MAX_TICKS - now.getTime()).padStart(13, '0')}_${randomUUID()}`;
  const details = entry.details ? JSON.stringify(redact(entry.details)).slice(0, MAX_PROPERTY_CHARS) : undefined;
  const entity: AuditEntity = {
    partitionKey: dayKey(now),
    rowKey,
    at: now.toISOString(),
    action: entry.action,
    outcome: entry.outcome,
    actor: entry.actor,
  };
  if (entry.target !== undefined) entity.target = entry.target;
  if (entry.job !== undefined) entity.job = entry.job;
  if (entry.runId !== undefined) entity.runId = entry.runId;
  // Reasons quote Graph's and the file's words (a rejected number, a token in an error): scrubbed like log text.
  if (entry.reason !== undefined) entity.reason = scrubText(entry.reason).slice(0, MAX_PROPERTY_CHARS);
  if (details !== undefined) entity.details = details;
  return entity;
}

function fromEntity(e: TableEntityResult<AuditEntity>): StoredAuditEntry {
  const out: StoredAuditEntry = {
    id: `${e.partitionKey}/${e.rowKey}`,
    at: e.at,
    action: e.action,
    outcome: e.outcome as StoredAuditEntry['outcome'],
    actor: e.actor,
    ...(e.target !== undefined && { target: e.target }),
    ...(e.job !== undefined && { job: e.job }),
    ...(e.runId !== undefined && { runId: e.runId }),
    ...(e.reason !== undefined && { reason: e.reason }),
    ...(e.details !== undefined && { details: JSON.parse(e.details) as Record<string, unknown> }),
  };
  return out;
}

const odataString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class AuditTable implements AuditSink, AuditReader {
  constructor(
    private readonly table: () => Promise<TableClient>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async write(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const client = await this.table();
    const byPartition = new Map<string, AuditEntity[]>();
    for (const entry of entries) {
      const entity = toEntity(entry, this.now());
      const list = byPartition.get(entity.partitionKey) ?? [];
      list.push(entity);
      byPartition.set(entity.partitionKey, list);
    }
    for (const list of byPartition.values()) {
      for (let i = 0; i < list.length; i += 100) {
        const actions: TransactionAction[] = list.slice(i, i + 100).map((e) => ['create', e]);
        await client.submitTransaction(actions);
      }
    }
  }

  async list(query: AuditQuery = {}): Promise<StoredAuditEntry[]> {
    const client = await this.table();
    const until = query.until ?? this.now();
    const since = query.since ?? new Date(until.getTime() - 24 * 3600_000);
    const limit = query.limit ?? 1000;
    const filters = [`PartitionKey ge ${odataString(dayKey(since))}`, `PartitionKey le ${odataString(dayKey(until))}`];
    if (query.runId) filters.push(`runId eq ${odataString(query.runId)}`);
    const out: StoredAuditEntry[] = [];
    for await (const e of client.listEntities<AuditEntity>({ queryOptions: { filter: filters.join(' and ') } })) {
      const entry = fromEntity(e);
      if (entry.at < since.toISOString() || entry.at > until.toISOString()) continue;
      out.push(entry);
      if (out.length >= limit) break;
    }
    return out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }
}
