import { InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { phoneImportBlobHandler } from '../../functions/phoneImportBlob';
import { phoneImportWorkerHandler } from '../../functions/phoneImportWorker';
import type { TenantFile } from '../../local/sandbox';
import { setServices } from '../../shared/runtime/services';
import { parseResults, usePhoneHarness } from '../phones/harness';
import { tenant, user, userId } from '../sandbox/helpers';
import { recordFigures, scaled } from './scale';
import { QUIET_KNOBS } from './storm';

/**
 * At-least-once delivery of the phone import through its real trigger handlers: the Event Grid blob trigger fires
 * twice for one CSV drop (at once, and again after the import ran), and every chunk message is delivered twice, the
 * second time while the first is still running (a visibility timeout that ran out), in reverse order, plus a late
 * third time. Each row is applied once: one phone method per user, one Graph write per created row, one import, one
 * results file.
 */
const USERS = scaled(12, 120);
const h = usePhoneHarness(QUIET_KNOBS);
beforeAll(() => setServices(h.current.services));
afterAll(() => setServices(undefined));

function phonesTenant(): TenantFile {
  return { ...tenant({ users: 0 }), users: Array.from({ length: USERS }, (_, i) => user(i + 1)) };
}

const numberOf = (n: number): string => `+1 425555${String(10_000 + n).slice(1)}`;

function blobContext(file: string, n: number): InvocationContext {
  return new InvocationContext({
    invocationId: `blob-${n}`,
    functionName: 'phoneImportBlob',
    triggerMetadata: {
      blobTrigger: `phone-imports/incoming/${file}`,
      properties: { ETag: '"0x8DC0FFEE0001"', LastModified: new Date('2026-12-02T10:00:00Z'), ContentLength: 100 },
    },
  });
}

function queueContext(messageId: string, dequeueCount: number): InvocationContext {
  return new InvocationContext({
    invocationId: `chunk-${messageId}-${dequeueCount}`,
    functionName: 'phoneImportWorker',
    triggerMetadata: { id: messageId, dequeueCount },
  });
}

it('applies each row once when the blob event and every chunk message arrive twice and out of order', async () => {
  const { sandbox } = h.current;
  const load = await fetch(`${sandbox.url}/_sandbox/tenant`, { method: 'POST', body: JSON.stringify(phonesTenant()) });
  expect(load.status).toBe(204);
  const rows = Array.from({ length: USERS }, (_, i) => `user${i + 1}@contoso.test,${numberOf(i + 1)}`);
  await h.current.upload('incoming/twice.csv', `UserName,PhoneNumber\n${rows.join('\n')}\n`);

  await Promise.all([
    phoneImportBlobHandler(null, blobContext('twice.csv', 1)),
    phoneImportBlobHandler(null, blobContext('twice.csv', 2)),
  ]);
  const deliveries = await h.current.take();
  expect(deliveries.length).toBe(Math.ceil(USERS / 5));
  // Reverse order; each message twice at once: a second copy of it (another message id, as when the enqueue was
  // retried) racing the original. Then the original again with dequeueCount 2, as after a worker crash.
  for (const d of [...deliveries].reverse()) {
    await Promise.allSettled([
      phoneImportWorkerHandler(d.message, queueContext(d.owner, 1)),
      phoneImportWorkerHandler(d.message, queueContext(`${d.owner}-copy`, 1)),
    ]);
  }
  for (const d of deliveries) await phoneImportWorkerHandler(d.message, queueContext(d.owner, 2));
  for (const d of deliveries) await d.remove();
  // The blob event again, after the import ran (the CSV has moved to processed/ by now).
  await phoneImportBlobHandler(null, blobContext('twice.csv', 3));
  expect(await h.current.take()).toEqual([]);

  const results = parseResults((await h.current.output('results/twice.results.csv')) ?? '');
  expect(results.map((r) => Number(r.line))).toEqual(rows.map((_, i) => i + 2));
  expect(results.every((r) => r.status === 'created')).toBe(true);
  const snapshot = (await (await fetch(`${sandbox.url}/_sandbox/tenant`)).json()) as {
    phoneMethods?: Record<string, { phoneNumber: string }[]>;
  };
  for (let n = 1; n <= USERS; n++) expect(snapshot.phoneMethods?.[userId(n)]?.map((m) => m.phoneNumber)).toEqual([numberOf(n)]);
  const stats = await h.current.stats();
  const writes = stats.byRouteInBatch['POST /users/{id}/authentication/phoneMethods'] ?? 0;
  expect(writes).toBe(USERS);
  const imports = (await h.current.services.audit.list()).filter(
    (e) => e.action === 'phones.import.received' && e.target === 'twice.csv',
  );
  expect(imports).toHaveLength(1);
  const files: string[] = [];
  for await (const b of (await h.current.services.storage.container('phone-imports')).listBlobsFlat({ prefix: 'results/' }))
    if (b.name.endsWith('/twice.results.csv')) files.push(b.name);
  expect(files).toHaveLength(1);

  recordFigures('atLeastOnce-phones', {
    rows: USERS,
    blobDeliveries: 3,
    chunkMessages: deliveries.length,
    chunkDeliveries: deliveries.length * 3,
    phoneMethodWrites: writes,
    duplicateWrites: writes - USERS,
    imports: imports.length,
    resultsFiles: files.length,
  });
}, 120_000);
