import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { processChunk, type ProcessChunkResult } from '../../shared/phones/processChunk';
import { importProgress } from '../../shared/phones/status';
import { PHONE_CHUNK_QUEUE } from '../../shared/storage/phoneImportStore';
import { eventually } from '../helpers/host';
import { harnessSettings, parseResults, usePhoneHarness } from './harness';

/**
 * The issue's "worker killed mid-chunk", for real: the compiled queue worker runs in a child process and is SIGKILLed
 * while a chunk's phone-method creates are in flight, after its rows were marked `applying` and before their outcomes
 * were stored. Nothing of that delivery runs afterwards. The trigger fires again (a lost message), the re-queued copy
 * waits for the dead worker's lease, re-reads Graph and records what the dead worker applied: every user ends with
 * exactly one number and no create is sent twice.
 */
const ROOT = path.resolve(__dirname, '../..');
const dist = (p: string) => JSON.stringify(path.join(ROOT, 'dist', p));
const LEASE_MS = 4000;
const CHUNK_SIZE = 20;
// Like the Functions host, one message at a time, kept invisible while it is worked on; the dead worker's copy stays
// hidden for the whole test, so only the re-queued copy (another message id) can finish its chunk.
const WORKER_IN_CHILD = `
const { QueueClient } = require('@azure/storage-queue');
const { loadConfig } = require(${dist('shared/config.js')});
const { createLogger } = require(${dist('shared/log.js')});
const { processChunk } = require(${dist('shared/phones/processChunk.js')});
const { phoneImportDeps } = require(${dist('shared/runtime/phoneImport.js')});
const { buildServices } = require(${dist('shared/runtime/services.js')});
const { PHONE_CHUNK_QUEUE } = require(${dist('shared/storage/phoneImportStore.js')});
const deps = phoneImportDeps(buildServices(loadConfig(process.env)), createLogger('silent'));
const queue = new QueueClient(process.env.AzureWebJobsStorage, PHONE_CHUNK_QUEUE);
(async () => {
  for (;;) {
    const [m] = (await queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 300 })).receivedMessageItems;
    if (!m) return;
    const message = JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8'));
    await processChunk(message, { ...deps, owner: m.messageId, leaseMs: ${LEASE_MS} });
    await queue.deleteMessage(m.messageId, m.popReceipt);
  }
})().then(() => process.exit(0), () => process.exit(1));
`;
const CREATE = 'POST /users/{id}/authentication/phoneMethods';
const CONFIRMED = 'applied before a retry; confirmed by reading Graph again';

const h = usePhoneHarness();
let child: ChildProcess | undefined;

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist/shared/phones/processChunk.js'))) {
    spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
});
afterAll(() => {
  child?.kill('SIGKILL');
});

interface DemoTenant {
  users: { id: string; userPrincipalName: string; accountEnabled: boolean }[];
  groups: { id: string; isAssignableToRole?: boolean | null; members?: string[] }[];
  phoneMethods: Record<string, unknown[]>;
  directoryRoleAssignments: { principalId: string }[];
}
type Phones = { value: { id: string; phoneNumber: string; phoneType: string }[] };

/**
 * Every enabled, unprivileged demo user without a phone method (the import skips role holders and role-assignable
 * group members), each with its own fictional NANP number (555-0100..0199).
 */
function usersWithoutPhones(): { id: string; upn: string; input: string; graph: string }[] {
  const tenant = JSON.parse(readFileSync(path.join(ROOT, 'local/tenants/demo.json'), 'utf8')) as DemoTenant;
  const privileged = new Set([
    ...tenant.directoryRoleAssignments.map((a) => a.principalId),
    ...tenant.groups.filter((g) => g.isAssignableToRole === true).flatMap((g) => g.members ?? []),
  ]);
  return tenant.users
    .filter((u) => u.accountEnabled && !privileged.has(u.id) && (tenant.phoneMethods[u.id] ?? []).length === 0)
    .map((u, i) => {
      const area = [425, 206, 360][Math.floor(i / 100)] ?? 509;
      const local = `01${String(i % 100).padStart(2, '0')}`;
      return { id: u.id, upn: u.userPrincipalName, input: `+1 ${area} 555 ${local}`, graph: `+1 ${area}555${local}` };
    });
}

describe('a phone import worker SIGKILLed mid-chunk', () => {
  it('is finished by a re-queued copy after the lease expires, creating every number once', async () => {
    const users = usersWithoutPhones();
    expect(users.length).toBeGreaterThan(4 * CHUNK_SIZE);
    const csv = `UserName,PhoneNumber\r\n${users.map((u) => `${u.upn},${u.input}`).join('\r\n')}\r\n`;
    const input = { path: 'incoming/sigkill.csv', file: 'sigkill.csv' };
    await h.current.upload(input.path, csv);
    const started = await h.current.run(input, { chunkSize: CHUNK_SIZE });
    if (started.outcome !== 'started') throw new Error(`import not started: ${started.outcome}`);
    const { importId } = started.record;
    const deps = h.current.deps();

    // Slow Graph down so the kill lands while one chunk's creates are in flight.
    await h.current.sandboxPost('/_sandbox/knobs', { latencyMs: { min: 200, max: 300 } });
    const { azurite, sandbox } = h.current;
    const worker = spawn(process.execPath, ['-e', WORKER_IN_CHILD], {
      cwd: ROOT,
      env: { ...process.env, ...harnessSettings(azurite, sandbox), LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    child = worker;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => worker.once('exit', (_code, signal) => resolve(signal)));
    // The creates of the second chunk have reached Graph; their answers have not reached the worker yet.
    const deadline = Date.now() + 15_000;
    while (((await h.current.stats()).byRouteInBatch[CREATE] ?? 0) <= CHUNK_SIZE) {
      if (Date.now() > deadline) throw new Error('the child worker never reached its second chunk');
      if (worker.exitCode !== null) throw new Error(`the child worker exited early (${worker.exitCode})`);
      await new Promise((r) => setTimeout(r, 10));
    }
    worker.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    await h.current.sandboxPost('/_sandbox/knobs', { latencyMs: { min: 0, max: 0 } });

    // The dead worker left one chunk mid-way: rows marked `applying`, no outcome, its lease still held.
    const chunks = await deps.chunks.listChunks(importId);
    const unfinished = chunks.filter((c) => c.state !== 'done').map((c) => c.chunk);
    const killed: number[] = [];
    for (const c of unfinished) if ((await deps.rows.chunkRows(importId, c)).some((r) => r.state === 'applying')) killed.push(c);
    expect(killed).toHaveLength(1);
    expect(chunks.filter((c) => c.state === 'done').length).toBeGreaterThanOrEqual(1);
    const [dead] = killed;
    if (dead === undefined) throw new Error('no chunk left mid-way');
    // Until the dead worker's lease expires, no other delivery may take its chunk.
    expect(await processChunk({ importId, chunk: dead }, { ...deps, owner: 'another-delivery' })).toBe('busy');

    // The blob trigger fires again: unfinished chunks are queued again under new message ids.
    expect((await h.current.run(input, { chunkSize: CHUNK_SIZE })).outcome).toBe('resumed');
    const queue = new QueueClient(azurite.connectionString, PHONE_CHUNK_QUEUE);
    const handled: { chunk: number; result: ProcessChunkResult }[] = [];
    await eventually(
      'the import to complete',
      async () => {
        const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 1 });
        for (const m of receivedMessageItems) {
          const message = JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as {
            importId: string;
            chunk: number;
          };
          const result = await processChunk(message, { ...deps, owner: m.messageId });
          handled.push({ chunk: message.chunk, result });
          // A busy chunk's message is left to become visible again, as a failed delivery would be.
          if (result !== 'busy') await queue.deleteMessage(m.messageId, m.popReceipt);
        }
        return (await importProgress(importId, deps))?.status === 'completed';
      },
      15_000,
    );
    // The killed chunk was finished exactly once, by another delivery than the dead worker's.
    expect(handled.filter((x) => x.chunk === dead && x.result === 'processed')).toHaveLength(1);

    const rows = parseResults((await h.current.output('results/sigkill.results.csv')) ?? '');
    expect(rows.map((r) => Number(r.line)).sort((a, b) => a - b)).toEqual(users.map((_, i) => i + 2));
    for (const r of rows) {
      expect(r.status).toBe('created');
      expect(['', CONFIRMED]).toContain(r.reason);
    }
    // The dead worker's creates landed and are reported as such, not sent again.
    const confirmed = rows.filter((r) => r.reason === CONFIRMED).length;
    expect(confirmed).toBeGreaterThan(0);
    expect(confirmed).toBeLessThanOrEqual(CHUNK_SIZE);

    const summary = JSON.parse((await h.current.output('results/sigkill.summary.json')) ?? '{}') as {
      status?: string;
      rows?: Record<string, number>;
    };
    expect(summary.status).toBe('completed');
    const { total, ...counts } = summary.rows ?? {};
    expect(total).toBe(users.length);
    expect(counts).toMatchObject({ created: users.length, failed: 0 });
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(users.length);

    const stats = await h.current.stats();
    expect(stats.throttled).toBe(0);
    expect(stats.byRouteInBatch[CREATE]).toBe(users.length);
    for (const u of users) {
      const { value } = await h.current.graph<Phones>(`/users/${u.id}/authentication/phoneMethods`);
      expect(value.map((m) => [m.phoneType, m.phoneNumber])).toEqual([['mobile', u.graph]]);
    }
  });
});
