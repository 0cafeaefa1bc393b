/**
 * Table `caexclusions`: partition `exclusion` (row = exclusionId, with `status` and `expiresAt` as columns so the timer
 * can query active ones) and partition `plan` (dry runs that allow a policy change). The whole record is the JSON
 * `body`, so optional fields such as `removalStartedAt` (a removal in progress) round-trip without a column.
 */

import type { TableClient } from '@azure/data-tables';

import type { Exclusion, ExclusionPlan, ExclusionStore } from '../conditional-access/exclusions';
import type { StorageClients } from './clients';
import { statusOf } from './storageErrors';

export const CA_EXCLUSIONS_TABLE = 'caexclusions';

export class TableCaExclusionStore implements ExclusionStore {
  constructor(private readonly storage: Pick<StorageClients, 'table'>) {}

  private table(): Promise<TableClient> {
    return this.storage.table(CA_EXCLUSIONS_TABLE);
  }

  private async read<T>(partitionKey: string, rowKey: string): Promise<T | undefined> {
    try {
      const e = await (await this.table()).getEntity<{ body?: string }>(partitionKey, rowKey);
      return e.body ? (JSON.parse(e.body) as T) : undefined;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  get(exclusionId: string): Promise<Exclusion | undefined> {
    return this.read<Exclusion>('exclusion', exclusionId);
  }

  async put(e: Exclusion): Promise<void> {
    await (
      await this.table()
    ).upsertEntity(
      { partitionKey: 'exclusion', rowKey: e.exclusionId, status: e.status, expiresAt: e.expiresAt, body: JSON.stringify(e) },
      'Replace',
    );
  }

  async listActive(): Promise<Exclusion[]> {
    const out: Exclusion[] = [];
    const rows = (await this.table()).listEntities<{ body?: string }>({
      queryOptions: { filter: "PartitionKey eq 'exclusion' and status eq 'active'" },
    });
    for await (const row of rows) if (row.body) out.push(JSON.parse(row.body) as Exclusion);
    return out;
  }

  getPlan(planId: string): Promise<ExclusionPlan | undefined> {
    return this.read<ExclusionPlan>('plan', planId);
  }

  async putPlan(plan: ExclusionPlan): Promise<void> {
    await (await this.table()).upsertEntity({ partitionKey: 'plan', rowKey: plan.planId, body: JSON.stringify(plan) }, 'Replace');
  }
}
