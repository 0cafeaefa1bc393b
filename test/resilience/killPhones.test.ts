import { readFileSync } from 'node:fs';
import path from 'node:path';

import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, describe, expect, it } from 'vitest';

import { RECEIPTS_TABLE } from '../../local/host/blobs';
import { PHONE_CONTAINER } from '../../shared/phones/files';
import { getServices } from '../../shared/runtime/services';
import { PHONE_CHUNK_QUEUE } from '../../shared/storage/phoneImportStore';
import { type AppStack, stackSettings, useAppStack } from '../helpers/appStack';
import { parseResults } from '../phones/harness';
import { killChildren, type KillScenario } from './killHarness';
import { KILL_TEST_TIMEOUT_MS, killAndRerun, KILLS } from './killRun';

/**
 * The phone import killed at KILLS points: while the blob is validated into chunks, while the chunk messages are
 * queued, while a worker's phone-method creates are in flight or answered, while results are written. Recovered as
 * production recovers: the host that comes back rescans the container (the dead delivery wrote no receipt) and gets
 * the dead worker's message back once its lease lapses; the stuck-import sweep, an hour later, finishes what nothing
 * else will. Every user must end with exactly one number, every row in the results once, and no create sent twice.
 * Replaces test/phones/sigkill.test.ts, which killed one worker at a moment chosen by polling the sandbox.
 */
const harness = useAppStack((stack) => ({
  harness: stack,
  env: {
    ...stackSettings(stack, 'kill-phones'),
    GRAPH_MAX_BACKOFF_MS: '300',
    PHONE_DEFAULT_REGION: 'US',
    PHONE_CHUNK_SIZE: '20',
    LOG_LEVEL: 'silent',
  },
}));
afterAll(killChildren);

const ROOT = path.resolve(__dirname, '../..');
const FILE = 'kill.csv';

interface DemoTenant {
  users: { id: string; userPrincipalName: string; accountEnabled: boolean }[];
  groups: { id: string; isAssignableToRole?: boolean | null; members?: string[] }[];
  phoneMethods: Record<string, unknown[]>;
  directoryRoleAssignments: { principalId: string }[];
}

/** Enabled, unprivileged demo users without a phone method, each with its own fictional NANP number (555-01xx). */
function usersWithoutPhones(): { id: string; upn: string; input: string }[] {
  const tenant = JSON.parse(readFileSync(path.join(ROOT, 'local/tenants/demo.json'), 'utf8')) as DemoTenant;
  const privileged = new Set([
    ...tenant.directoryRoleAssignments.map((a) => a.principalId),
    ...tenant.groups.filter((g) => g.isAssignableToRole === true).flatMap((g) => g.members ?? []),
  ]);
  return tenant.users
    .filter((u) => u.accountEnabled && !privileged.has(u.id) && (tenant.phoneMethods[u.id] ?? []).length === 0)
    .map((u, i) => {
      const area = [425, 206, 360][Math.floor(i / 100)] ?? 509;
      return { id: u.id, upn: u.userPrincipalName, input: `+1 ${area} 555 01${String(i % 100).padStart(2, '0')}` };
    });
}
const USERS = usersWithoutPhones();

async function blobText(prefix: string, suffix: string): Promise<string | undefined> {
  const container = await getServices().storage.container(PHONE_CONTAINER);
  for await (const b of container.listBlobsFlat({ prefix }))
    if (b.name.endsWith(suffix)) return (await container.getBlobClient(b.name).downloadToBuffer()).toString('utf8');
  return undefined;
}

async function summary(): Promise<{ status?: string; rows?: Record<string, number> } | undefined> {
  const text = await blobText('results/', `${FILE.replace(/\.csv$/, '')}.summary.json`);
  return text === undefined ? undefined : (JSON.parse(text) as { status?: string; rows?: Record<string, number> });
}

async function queueEmpty(h: AppStack): Promise<boolean> {
  const queue = new QueueClient(h.azurite.connectionString, PHONE_CHUNK_QUEUE);
  if (!(await queue.exists())) return true;
  // Counts invisible messages too: a dead worker's message still counts until it is redelivered and deleted.
  return (await queue.getProperties()).approximateMessagesCount === 0;
}

async function blobDelivered(h: AppStack): Promise<boolean> {
  const receipts = TableClient.fromConnectionString(h.azurite.connectionString, RECEIPTS_TABLE, {
    allowInsecureConnection: true,
  });
  try {
    for await (const _ of receipts.listEntities()) return true;
  } catch {
    return false;
  }
  return false;
}

const phonesDone = async (h: AppStack) => (await summary())?.status === 'completed' && (await queueEmpty(h));

interface PhoneSnapshot {
  readonly results: string[];
  readonly counts: Record<string, number> | undefined;
  readonly methods: string[];
}

const scenario: KillScenario<PhoneSnapshot> = {
  name: 'phone-import',
  targets: ['graph', 'storage'],
  functions: ['phoneImportBlob', 'phoneImportWorker', 'phoneImportSweep'],
  async setup() {
    const csv = `UserName,PhoneNumber\r\n${USERS.map((u) => `${u.upn},${u.input}`).join('\r\n')}\r\n`;
    const container = await getServices().storage.container(PHONE_CONTAINER);
    await container.getBlockBlobClient(`incoming/${FILE}`).upload(csv, Buffer.byteLength(csv));
  },
  // The blob trigger's scan finds the upload on its own.
  start: async () => undefined,
  recovery: [
    // 20 minutes on: chunk and validation leases (10 min) have lapsed; the rescan and the redelivered messages finish.
    { clockMinutes: 40, run: async () => undefined, settled: async (h) => (await blobDelivered(h)) && (await queueEmpty(h)) },
    // Past the sweep's hour: whatever no message will finish is finished by the sweep.
    { clockMinutes: 100, run: (child) => child.invoke('phoneImportSweep'), settled: phonesDone },
  ],
  done: phonesDone,
  async snapshot(h) {
    const results = parseResults((await blobText('results/', `${FILE.replace(/\.csv$/, '')}.results.csv`)) ?? '');
    const methods: string[] = [];
    for (const u of USERS) {
      const res = await fetch(`${h.sandbox.url}/v1.0/users/${u.id}/authentication/phoneMethods`, {
        headers: { authorization: 'Bearer kill-phones' },
      });
      const { value } = (await res.json()) as { value: { phoneType: string; phoneNumber: string }[] };
      methods.push(...value.map((m) => `${u.id} ${m.phoneType} ${m.phoneNumber}`));
    }
    // A row the dead worker applied is reported `created` with a reason saying so; its status is what must match.
    return {
      results: results.map((r) => `${r.line} ${r.status}`).sort(),
      counts: (await summary())?.rows,
      methods: methods.sort(),
    };
  },
  items: (s) => [...s.results.map((r) => `row ${r}`), ...s.methods.map((m) => `method ${m}`)],
};

describe('phone import killed and re-run', () => {
  it(
    `converges to the clean run's tenant and stored state from ${KILLS} kill points, creating no number twice`,
    async () => {
      expect(USERS.length).toBeGreaterThan(80);
      const figures = await killAndRerun(scenario, harness.current, {});
      expect(figures.duplicateWrites).toBe(0);
      expect(figures.lost).toBe(0);
      expect(figures.runsKilled).toBe(KILLS);
    },
    KILL_TEST_TIMEOUT_MS,
  );
});
