/**
 * Wires the read models the console and the list routes use (run history, names, import rows) to the adapters.
 */

import { createDirectoryNames } from '../graph/directoryNames';
import { PHONE_CONTAINER } from '../phones/files';
import type { ImportHistory } from '../phones/history';
import type { ChunkLedger, ImportFiles, ImportRecords, RowStore } from '../phones/ports';
import { BlobImportFiles } from '../storage/phoneImportBlobs';
import { importHistory } from '../storage/phoneImportHistory';
import { phoneImportStores } from '../storage/phoneImportStore';
import { SyncRunIndex } from '../storage/syncRunIndex';
import { BlobRunRecords } from '../storage/syncStore';
import type { RunHistory } from '../sync/history';
import type { DirectoryNames } from '../sync/planMembers';
import type { RunRecords } from '../sync/ports';
import type { Services } from './services';

export interface SyncReadDeps {
  readonly runs: Pick<RunRecords, 'getRun'>;
  readonly history: RunHistory;
  readonly names: DirectoryNames;
}

export function syncReadDeps(services: Services): SyncReadDeps {
  return {
    runs: new BlobRunRecords(services.storage),
    history: new SyncRunIndex(services.storage),
    names: createDirectoryNames(services.graph),
  };
}

export interface PhoneReadDeps {
  readonly history: ImportHistory;
  readonly records: Pick<ImportRecords, 'get'>;
  readonly chunks: Pick<ChunkLedger, 'listChunks'>;
  readonly rows: RowStore;
  readonly files: ImportFiles;
}

export function phoneReadDeps(services: Services): PhoneReadDeps {
  const { records, chunks, rows } = phoneImportStores(services.storage);
  return {
    history: importHistory(services.storage),
    records,
    chunks,
    rows,
    files: new BlobImportFiles(() => services.storage.container(PHONE_CONTAINER)),
  };
}
