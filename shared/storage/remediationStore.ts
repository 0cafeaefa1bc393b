/**
 * Remediation requests in table `remediations`, one partition per subject (a ticket or a user), so a request, its
 * idempotency row and the subject's sequence counter are written in one entity-group transaction:
 * - `head`: next sequence number and the run lease (owner, until), both changed by etag only;
 * - `k-<requestId>`: the request id is a hash of subject and idempotency key, so a redelivery finds its request;
 * - `r-<seq>`: the request (zero-padded sequence: row order is approval order).
 * Table `callbackdeliveries` keeps verified delivery ids (hashed) per provider to refuse replays.
 */

import { createHash } from 'node:crypto';

import type { TableClient, TransactionAction } from '@azure/data-tables';

import type { ActionName } from '../remediation/actions';
import type { DeliveryLedger, NewRequest, Outcome, RemediationStore, RequestState, StoredRequest } from '../remediation/ports';
import { orUndefined, statusOf } from './storageErrors';

export const REMEDIATIONS_TABLE = 'remediations';
export const DELIVERIES_TABLE = 'callbackdeliveries';

const sha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const partitionOf = (subject: string): string => sha(`subject\n${subject}`).slice(0, 40);
export const requestIdOf = (subject: string, idempotencyKey: string): string => sha(`${subject}\n${idempotencyKey}`).slice(0, 32);
const seqRow = (seq: number): string => `r-${String(seq).padStart(10, '0')}`;

interface HeadEntity {
  partitionKey: string;
  rowKey: string;
  nextSeq: number;
  leaseOwner?: string;
  leaseUntil?: string;
  etag?: string;
}

interface RequestEntity {
  partitionKey: string;
  rowKey: string;
  requestId: string;
  subject: string;
  idempotencyKey: string;
  seq: number;
  action: string;
  userId: string;
  approvedBy: string;
  reason: string;
  approvedAt: string;
  source: string;
  ticketJson?: string;
  state: string;
  attempts: number;
  retryAt?: string;
  outcomeJson?: string;
  writeBack?: string;
  actionStartedAt?: string;
}

function toRequest(e: RequestEntity): StoredRequest {
  return {
    requestId: e.requestId,
    subject: e.subject,
    idempotencyKey: e.idempotencyKey,
    seq: e.seq,
    action: e.action as ActionName,
    userId: e.userId,
    approvedBy: e.approvedBy,
    reason: e.reason,
    approvedAt: e.approvedAt,
    source: e.source === 'admin' ? 'admin' : 'ticket',
    ...(e.ticketJson ? { ticket: JSON.parse(e.ticketJson) as NonNullable<StoredRequest['ticket']> } : {}),
    state: e.state as RequestState,
    attempts: e.attempts,
    ...(e.retryAt ? { retryAt: e.retryAt } : {}),
    ...(e.outcomeJson ? { outcome: JSON.parse(e.outcomeJson) as Outcome } : {}),
    ...(e.writeBack === 'pending' || e.writeBack === 'done' ? { writeBack: e.writeBack } : {}),
    ...(e.actionStartedAt ? { actionStartedAt: e.actionStartedAt } : {}),
  };
}

export class TableRemediationStore implements RemediationStore {
  constructor(private readonly table: () => Promise<TableClient>) {}

  private async head(pk: string): Promise<HeadEntity | undefined> {
    return orUndefined((await this.table()).getEntity<HeadEntity>(pk, 'head'), 404);
  }

  private async seqOf(pk: string, requestId: string): Promise<number | undefined> {
    const k = await orUndefined((await this.table()).getEntity<{ seq: number }>(pk, `k-${requestId}`), 404);
    return k?.seq;
  }

  async record(request: NewRequest): Promise<{ request: StoredRequest; created: boolean }> {
    const pk = partitionOf(request.subject);
    const requestId = requestIdOf(request.subject, request.idempotencyKey);
    const table = await this.table();
    for (let attempt = 0; attempt < 8; attempt++) {
      const existing = await this.get(request.subject, requestId);
      if (existing) return { request: existing, created: false };
      const head = await this.head(pk);
      const seq = head?.nextSeq ?? 1;
      const entity: RequestEntity = {
        partitionKey: pk,
        rowKey: seqRow(seq),
        requestId,
        subject: request.subject,
        idempotencyKey: request.idempotencyKey,
        seq,
        action: request.action,
        userId: request.userId,
        approvedBy: request.approvedBy,
        reason: request.reason,
        approvedAt: request.approvedAt,
        source: request.source,
        ...(request.ticket ? { ticketJson: JSON.stringify(request.ticket) } : {}),
        state: 'queued',
        attempts: 0,
      };
      const actions: TransactionAction[] = [
        head
          ? ['update', { partitionKey: pk, rowKey: 'head', nextSeq: seq + 1 }, 'Merge', { etag: head.etag ?? '*' }]
          : ['create', { partitionKey: pk, rowKey: 'head', nextSeq: seq + 1 }],
        ['create', { partitionKey: pk, rowKey: `k-${requestId}`, seq }],
        ['create', { ...entity }],
      ];
      try {
        await table.submitTransaction(actions);
        return { request: toRequest(entity), created: true };
      } catch (err) {
        // Another request of this subject took the sequence number (or the same request won): read again.
        if (statusOf(err) === 409 || statusOf(err) === 412) continue;
        throw err;
      }
    }
    throw new Error('Could not record the remediation request: the subject is too busy; retry');
  }

  async get(subject: string, requestId: string): Promise<StoredRequest | undefined> {
    const pk = partitionOf(subject);
    const seq = await this.seqOf(pk, requestId);
    if (seq === undefined) return undefined;
    const e = await orUndefined((await this.table()).getEntity<RequestEntity>(pk, seqRow(seq)), 404);
    return e ? toRequest(e) : undefined;
  }

  async unfinished(subject: string): Promise<StoredRequest[]> {
    const pk = partitionOf(subject);
    const out: StoredRequest[] = [];
    const entities = (await this.table()).listEntities<RequestEntity>({
      queryOptions: {
        filter: `PartitionKey eq '${pk}' and RowKey ge 'r-' and RowKey lt 'r.' and (state eq 'queued' or state eq 'running')`,
      },
    });
    for await (const e of entities) out.push(toRequest(e));
    return out.sort((a, b) => a.seq - b.seq);
  }

  async update(
    subject: string,
    requestId: string,
    patch: Partial<Pick<StoredRequest, 'state' | 'attempts' | 'retryAt' | 'outcome' | 'writeBack' | 'actionStartedAt'>>,
  ): Promise<void> {
    const pk = partitionOf(subject);
    const seq = await this.seqOf(pk, requestId);
    if (seq === undefined) throw new Error(`No remediation request ${requestId}`);
    const { outcome, ...rest } = patch;
    await (
      await this.table()
    ).updateEntity(
      { partitionKey: pk, rowKey: seqRow(seq), ...rest, ...(outcome ? { outcomeJson: JSON.stringify(outcome) } : {}) },
      'Merge',
    );
  }

  async claim(subject: string, owner: string, leaseMs: number, now: Date): Promise<boolean> {
    const pk = partitionOf(subject);
    const table = await this.table();
    const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
    const head = await this.head(pk);
    if (!head) {
      const created = await orUndefined(
        table.createEntity({ partitionKey: pk, rowKey: 'head', nextSeq: 1, leaseOwner: owner, leaseUntil }),
        409,
      );
      return created !== undefined;
    }
    const held = head.leaseOwner && head.leaseOwner !== owner && Date.parse(head.leaseUntil ?? '') > now.getTime();
    if (held) return false;
    const taken = await orUndefined(
      table.updateEntity({ partitionKey: pk, rowKey: 'head', leaseOwner: owner, leaseUntil }, 'Merge', {
        etag: head.etag ?? '*',
      }),
      409,
      412,
    );
    return taken !== undefined;
  }

  async release(subject: string, owner: string): Promise<void> {
    const pk = partitionOf(subject);
    const head = await this.head(pk);
    if (!head || head.leaseOwner !== owner) return;
    await orUndefined(
      (await this.table()).updateEntity({ partitionKey: pk, rowKey: 'head', leaseOwner: '', leaseUntil: '' }, 'Merge', {
        etag: head.etag ?? '*',
      }),
      404,
      412,
    );
  }
}

interface DeliveryEntity {
  partitionKey: string;
  rowKey: string;
  state: string;
  claimedAt: string;
  etag?: string;
}

export class TableDeliveryLedger implements DeliveryLedger {
  constructor(private readonly table: () => Promise<TableClient>) {}

  async claim(provider: string, deliveryId: string, now: Date, staleMs: number): Promise<'claimed' | 'replayed'> {
    const table = await this.table();
    const key = { partitionKey: provider, rowKey: sha(deliveryId) };
    const entity = { ...key, state: 'claimed', claimedAt: now.toISOString() };
    if (await orUndefined(table.createEntity(entity), 409)) return 'claimed';
    const seen = await orUndefined(table.getEntity<DeliveryEntity>(provider, key.rowKey), 404);
    if (!seen || seen.state !== 'claimed' || Date.parse(seen.claimedAt) + staleMs > now.getTime()) return 'replayed';
    // The first delivery's host died before its request was recorded: this retry takes over, once.
    const taken = await orUndefined(table.updateEntity(entity, 'Replace', { etag: seen.etag ?? '*' }), 404, 412);
    return taken ? 'claimed' : 'replayed';
  }

  async complete(provider: string, deliveryId: string): Promise<void> {
    await (await this.table()).updateEntity({ partitionKey: provider, rowKey: sha(deliveryId), state: 'done' }, 'Merge');
  }
}
