import type { TableClient } from '@azure/data-tables';

import type { ImportHistory } from '../phones/history';
import type { ImportRecord } from '../phones/ports';
import type { StorageClients } from './clients';
import { PHONE_IMPORTS_TABLE, TableImportRecords } from './phoneImportStore';

/**
 * Recent imports from table `phoneimports` (partition `import`). Import ids are content hashes, not time-ordered,
 * so the partition is read and sorted by creation time; one entity per file ever imported keeps that small.
 */
export class TableImportHistory implements ImportHistory {
  private readonly records: TableImportRecords;

  constructor(private readonly table: () => Promise<TableClient>) {
    this.records = new TableImportRecords(table);
  }

  async recent(top: number): Promise<ImportRecord[]> {
    const client = await this.table();
    const all: ImportRecord[] = [];
    const entities = client.listEntities<Record<string, unknown>>({ queryOptions: { filter: "PartitionKey eq 'import'" } });
    for await (const e of entities) all.push(this.records.fromEntity(e));
    return all.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, top);
  }
}

export const importHistory = (storage: StorageClients): ImportHistory =>
  new TableImportHistory(() => storage.table(PHONE_IMPORTS_TABLE));
