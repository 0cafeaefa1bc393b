import type { StorageClients } from './clients';

/** A real round trip to each storage service the app uses (tables, blobs, queues). */
export async function checkStorage(
  storage: StorageClients,
  timeoutMs = 5000,
): Promise<{ ok: boolean; latencyMs: number; detail?: string }> {
  const started = Date.now();
  // The SDKs retry unreachable endpoints for a long while; a health probe must answer promptly instead.
  const abortSignal = AbortSignal.timeout(timeoutMs);
  try {
    await Promise.all([
      storage.tableService.listTables({ abortSignal }).byPage({ maxPageSize: 1 }).next(),
      storage.blobService.listContainers({ abortSignal }).byPage({ maxPageSize: 1 }).next(),
      storage.queueService.listQueues({ abortSignal }).byPage({ maxPageSize: 1 }).next(),
    ]);
    return { ok: true, latencyMs: Date.now() - started };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, latencyMs: Date.now() - started, detail: message.split('\n')[0] ?? message };
  }
}
