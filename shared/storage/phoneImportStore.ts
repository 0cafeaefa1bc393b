/**
 * Phone import state in Table Storage.
 * - `phoneimports`: one entity per import (PK `import`, RK importId).
 * - `phoneimportrows`: one entity per input row, PK `<importId>_<chunk>` so a chunk is one partition (one query,
 *   transactions of 100), RK the zero-padded line so rows list in input order.
 * - `phoneimportchunks`: one entity per chunk (PK importId, RK chunk): state, a lease for the worker and the chunk's
 *   counts. Completion is "every chunk entity is done", counted on read, never a shared counter that retries could
 *   bump twice.
 */

import type { TableClient, TransactionAction } from '@azure/data-tables';

import type {
  ChunkLeases,
  ChunkLedger,
  ChunkMessage,
  ChunkQueue,
  ChunkState,
  FinalizeLease,
  ImportRecord,
  ImportRecords,
  RowPatch,
  RowStore,
  StoredRow,
  UnfinishedImports,
  ValidationLease,
} from '../phones/ports';
import { type ImportStatus, ROW_STATUSES, type RowCounts, type RowStatus } from '../phones/types';
import type { StorageClients } from './clients';
import { orUndefined, statusOf } from './storageErrors';

export const PHONE_IMPORTS_TABLE = 'phoneimports';
export const PHONE_ROWS_TABLE = 'phoneimportrows';
export const PHONE_CHUNKS_TABLE = 'phoneimportchunks';
export const PHONE_CHUNK_QUEUE = 'phone-import-chunks';
/** Where the Functions host moves a chunk message after its last failed delivery (`<queue>-poison`). */
export const PHONE_CHUNK_POISON_QUEUE = `${PHONE_CHUNK_QUEUE}-poison`;

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const rowPartition = (importId: string, chunk: number) => `${importId}_${pad(chunk, 6)}`;
const MAX_TEXT = 4_000;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

function compact(e: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined));
}

/** One entity per import holds the record and the leases on its steps, so one class serves those four ports. */
export class TableImportRecords implements ImportRecords, UnfinishedImports, ValidationLease, FinalizeLease {
  constructor(private readonly table: () => Promise<TableClient>) {}

  private toEntity(r: Partial<ImportRecord> & { importId?: string }): Record<string, unknown> {
    const { problem, importId: _id, ...rest } = r;
    return compact({ ...rest, problem: problem === undefined ? undefined : JSON.stringify(problem) });
  }

  fromEntity(e: Record<string, unknown>): ImportRecord {
    const problem = str(e.problem);
    const opt = (k: string) => str(e[k]);
    return {
      importId: String(e.rowKey),
      file: String(e.file),
      source: String(e.source),
      contentHash: String(e.contentHash),
      dryRun: e.dryRun === true,
      status: e.status as ImportRecord['status'],
      createdAt: String(e.createdAt),
      updatedAt: String(e.updatedAt),
      totalRows: num(e.totalRows),
      rejectedRows: num(e.rejectedRows),
      chunkCount: num(e.chunkCount),
      ...(opt('finishedAt') !== undefined && { finishedAt: opt('finishedAt') }),
      ...(opt('resultsBlob') !== undefined && { resultsBlob: opt('resultsBlob') }),
      ...(opt('summaryBlob') !== undefined && { summaryBlob: opt('summaryBlob') }),
      ...(problem !== undefined && { problem: JSON.parse(problem) as ImportRecord['problem'] }),
    };
  }

  async create(record: ImportRecord): Promise<{ created: boolean; record: ImportRecord }> {
    const client = await this.table();
    try {
      await client.createEntity({ partitionKey: 'import', rowKey: record.importId, ...this.toEntity(record) });
      return { created: true, record };
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      const existing = await this.get(record.importId);
      if (!existing) throw err;
      return { created: false, record: existing };
    }
  }

  async get(importId: string): Promise<ImportRecord | undefined> {
    const client = await this.table();
    const entity = await orUndefined(client.getEntity<Record<string, unknown>>('import', importId), 404);
    return entity && this.fromEntity(entity);
  }

  async listUnfinished(): Promise<ImportRecord[]> {
    const client = await this.table();
    const out: ImportRecord[] = [];
    const filter = "PartitionKey eq 'import' and (status eq 'running' or status eq 'validating')";
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      out.push(this.fromEntity(e));
    return out;
  }

  async update(importId: string, patch: Partial<Omit<ImportRecord, 'importId'>>, from?: ImportStatus): Promise<boolean> {
    const client = await this.table();
    const entity = { partitionKey: 'import', rowKey: importId, ...this.toEntity(patch) };
    if (from === undefined) {
      await client.updateEntity(entity, 'Merge');
      return true;
    }
    const current = await client.getEntity<Record<string, unknown>>('import', importId);
    if (current.status !== from) return false;
    try {
      await client.updateEntity(entity, 'Merge', { etag: current.etag });
      return true;
    } catch (err) {
      if (statusOf(err) === 412) return false;
      throw err;
    }
  }

  claimFinalize(importId: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.claim(importId, 'finalize', owner, leaseMs);
  }

  claimValidation(importId: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.claim(importId, 'validate', owner, leaseMs);
  }

  /** A lease on one step of an import (`<step>Owner`, `<step>Until`), taken and renewed with If-Match. */
  private async claim(importId: string, step: 'finalize' | 'validate', owner: string, leaseMs: number): Promise<boolean> {
    const client = await this.table();
    const entity = await client.getEntity<Record<string, unknown>>('import', importId);
    if (num(entity[`${step}Until`]) > Date.now() && entity[`${step}Owner`] !== owner) return false;
    try {
      await client.updateEntity(
        { partitionKey: 'import', rowKey: importId, [`${step}Owner`]: owner, [`${step}Until`]: Date.now() + leaseMs },
        'Merge',
        { etag: entity.etag },
      );
      return true;
    } catch (err) {
      if (statusOf(err) === 412) return false;
      throw err;
    }
  }
}

/**
 * Row text as stored: cut to its stored length, and U+2028/U+2029 (line and paragraph separators a hostile CSV can
 * carry inside a quoted field) written as the visible escapes `\u2028`/`\u2029`. Azurite refuses an entity-group
 * transaction holding them ("The values are not specified for all properties", found by the CSV fuzzer); the results
 * file is clearer with them visible anyway.
 */
const storable = (text: string | undefined): string | undefined =>
  text?.slice(0, MAX_TEXT).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);

function rowEntity(importId: string, chunk: number, r: RowPatch): Entity {
  return {
    partitionKey: rowPartition(importId, chunk),
    rowKey: pad(r.line, 10),
    ...compact({
      line: r.line,
      user: storable(r.user),
      maskedPhone: storable(r.maskedPhone),
      phoneNumber: r.phoneNumber,
      phoneType: r.phoneType,
      enableSmsSignIn: r.enableSmsSignIn,
      state: r.state,
      planned: r.planned,
      status: r.status,
      action: storable(r.action),
      reason: storable(r.reason),
    }),
  };
}

function rowFrom(e: Record<string, unknown>): StoredRow {
  const o = (k: string) => str(e[k]);
  return {
    line: num(e.line),
    user: o('user') ?? '',
    maskedPhone: o('maskedPhone') ?? '',
    state: (o('state') ?? 'pending') as StoredRow['state'],
    ...(o('phoneNumber') !== undefined && { phoneNumber: o('phoneNumber') }),
    ...(o('phoneType') !== undefined && { phoneType: o('phoneType') as StoredRow['phoneType'] }),
    ...(typeof e.enableSmsSignIn === 'boolean' && { enableSmsSignIn: e.enableSmsSignIn }),
    ...(o('planned') !== undefined && { planned: o('planned') as RowStatus }),
    ...(o('status') !== undefined && { status: o('status') as RowStatus }),
    ...(o('action') !== undefined && { action: o('action') }),
    ...(o('reason') !== undefined && { reason: o('reason') }),
  };
}

/** An entity-group transaction holds at most 100 entities and 4 MiB of payload; stay well under the size. */
const TRANSACTION_ENTITIES = 100;
const TRANSACTION_BYTES = 3 * 1024 * 1024;

/**
 * Rows in transactions of at most 100 entities and ~3 MiB: rows of hostile CSVs (4,000 control characters per field
 * escape to six bytes each in JSON) would otherwise pass the 4 MiB payload limit and fail the whole transaction.
 */
async function submit(client: TableClient, actions: TransactionAction[]): Promise<void> {
  let batch: TransactionAction[] = [];
  let bytes = 0;
  for (const action of actions) {
    const size = Buffer.byteLength(JSON.stringify(action[1]), 'utf8');
    if (batch.length > 0 && (batch.length === TRANSACTION_ENTITIES || bytes + size > TRANSACTION_BYTES)) {
      await client.submitTransaction(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(action);
    bytes += size;
  }
  if (batch.length > 0) await client.submitTransaction(batch);
}

export class TableRowStore implements RowStore {
  constructor(private readonly table: () => Promise<TableClient>) {}

  async putRows(importId: string, chunk: number, rows: readonly StoredRow[]): Promise<void> {
    const client = await this.table();
    await submit(
      client,
      rows.map((r): TransactionAction => ['upsert', rowEntity(importId, chunk, r), 'Replace']),
    );
  }

  async patchRows(importId: string, chunk: number, patches: readonly RowPatch[]): Promise<void> {
    const client = await this.table();
    await submit(
      client,
      patches.map((r): TransactionAction => ['upsert', rowEntity(importId, chunk, r), 'Merge']),
    );
  }

  async chunkRows(importId: string, chunk: number): Promise<StoredRow[]> {
    const client = await this.table();
    const out: StoredRow[] = [];
    const filter = `PartitionKey eq '${rowPartition(importId, chunk)}'`;
    for await (const e of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) out.push(rowFrom(e));
    return out.sort((a, b) => a.line - b.line);
  }
}

function countsFrom(text: string | undefined): RowCounts | undefined {
  if (!text) return undefined;
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const counts = {} as RowCounts;
  for (const s of ROW_STATUSES) counts[s] = num(parsed[s]);
  return counts;
}

/** The chunk entity carries both the chunk's state and its worker lease, so one class serves both ports. */
export class TableChunkStore implements ChunkLedger, ChunkLeases {
  constructor(
    private readonly table: () => Promise<TableClient>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  async putChunk(importId: string, chunk: ChunkState): Promise<void> {
    const client = await this.table();
    const entity = {
      partitionKey: importId,
      rowKey: pad(chunk.chunk, 6),
      chunk: chunk.chunk,
      state: chunk.state,
      firstLine: chunk.firstLine,
      lastLine: chunk.lastLine,
    };
    try {
      await client.createEntity(entity);
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      // Written again by a validator that took over: never reset a chunk a worker already finished.
      const existing = await client.getEntity<Record<string, unknown>>(importId, pad(chunk.chunk, 6));
      if (existing.state === 'done') return;
      await client.updateEntity(entity, 'Replace', { etag: existing.etag });
    }
  }

  async claimChunk(importId: string, chunk: number, owner: string, leaseMs: number): Promise<'claimed' | 'busy' | 'done'> {
    const client = await this.table();
    const entity = await orUndefined(client.getEntity<Record<string, unknown>>(importId, pad(chunk, 6)), 404);
    // A chunk the validator never stored cannot be worked on; treat as done so the message is dropped.
    if (!entity) return 'done';
    if (entity.state === 'done') return 'done';
    const leaseUntil = num(entity.leaseUntil);
    if (leaseUntil > this.now() && entity.leaseOwner !== owner) return 'busy';
    try {
      await client.updateEntity(
        { partitionKey: importId, rowKey: pad(chunk, 6), leaseOwner: owner, leaseUntil: this.now() + leaseMs },
        'Merge',
        { etag: entity.etag },
      );
      return 'claimed';
    } catch (err) {
      if (statusOf(err) === 412) return 'busy';
      throw err;
    }
  }

  async completeChunk(importId: string, chunk: number, counts: RowCounts): Promise<void> {
    const client = await this.table();
    await client.updateEntity(
      { partitionKey: importId, rowKey: pad(chunk, 6), state: 'done', counts: JSON.stringify(counts), leaseUntil: 0 },
      'Merge',
    );
  }

  async anyPending(importId: string): Promise<boolean> {
    const client = await this.table();
    const filter = `PartitionKey eq '${importId.replace(/'/g, "''")}' and state ne 'done'`;
    const page = await client
      .listEntities({ queryOptions: { filter, select: ['RowKey'] } })
      .byPage({ maxPageSize: 1 })
      .next();
    return !page.done && page.value.length > 0;
  }

  async releaseChunk(importId: string, chunk: number, owner: string): Promise<void> {
    const client = await this.table();
    const entity = await client.getEntity<Record<string, unknown>>(importId, pad(chunk, 6));
    if (entity.leaseOwner !== owner) return;
    try {
      await client.updateEntity({ partitionKey: importId, rowKey: pad(chunk, 6), leaseUntil: 0 }, 'Merge', { etag: entity.etag });
    } catch (err) {
      if (statusOf(err) !== 412) throw err;
    }
  }

  async renewChunk(importId: string, chunk: number, owner: string, leaseMs: number): Promise<boolean> {
    const client = await this.table();
    const entity = await client.getEntity<Record<string, unknown>>(importId, pad(chunk, 6));
    if (entity.state === 'done' || entity.leaseOwner !== owner) return false;
    try {
      await client.updateEntity({ partitionKey: importId, rowKey: pad(chunk, 6), leaseUntil: this.now() + leaseMs }, 'Merge', {
        etag: entity.etag,
      });
      return true;
    } catch (err) {
      if (statusOf(err) === 412) return false;
      throw err;
    }
  }

  async listChunks(importId: string): Promise<ChunkState[]> {
    const client = await this.table();
    const out: ChunkState[] = [];
    for await (const e of client.listEntities<Record<string, unknown>>({
      queryOptions: { filter: `PartitionKey eq '${importId.replace(/'/g, "''")}'` },
    })) {
      const counts = countsFrom(str(e.counts));
      out.push({
        chunk: num(e.chunk),
        state: e.state === 'done' ? 'done' : 'pending',
        firstLine: num(e.firstLine),
        lastLine: num(e.lastLine),
        ...(counts && { counts }),
        ...(typeof e.timestamp === 'string' && { updatedAt: e.timestamp }),
        leaseUntil: num(e.leaseUntil),
      });
    }
    return out.sort((a, b) => a.chunk - b.chunk);
  }
}

export class StorageChunkQueue implements ChunkQueue {
  constructor(private readonly storage: StorageClients) {}
  enqueue(message: ChunkMessage, delaySeconds?: number): Promise<void> {
    return this.storage.enqueueJson(PHONE_CHUNK_QUEUE, message, delaySeconds ? { visibilityTimeoutSeconds: delaySeconds } : {});
  }
}

export function phoneImportStores(storage: StorageClients): {
  records: ImportRecords;
  unfinished: UnfinishedImports;
  validationLease: ValidationLease;
  finalizeLease: FinalizeLease;
  rows: RowStore;
  chunks: ChunkLedger;
  chunkLeases: ChunkLeases;
  queue: ChunkQueue;
} {
  const records = new TableImportRecords(() => storage.table(PHONE_IMPORTS_TABLE));
  const chunks = new TableChunkStore(() => storage.table(PHONE_CHUNKS_TABLE));
  return {
    records,
    unfinished: records,
    validationLease: records,
    finalizeLease: records,
    rows: new TableRowStore(() => storage.table(PHONE_ROWS_TABLE)),
    chunks,
    chunkLeases: chunks,
    queue: new StorageChunkQueue(storage),
  };
}
