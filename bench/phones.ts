import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import { QueueClient } from '@azure/storage-queue';

import { startAzurite } from '../local/azurite';
import { loadConfig } from '../shared/config';
import { type Graph, graphPath } from '../shared/graph/types';
import { createLogger } from '../shared/log';
import { PHONE_CONTAINER } from '../shared/phones/files';
import { importFile } from '../shared/phones/importFile';
import { processChunk } from '../shared/phones/processChunk';
import { importProgress } from '../shared/phones/status';
import { phoneImportDeps } from '../shared/runtime/phoneImport';
import { buildServices, type Services } from '../shared/runtime/services';
import { PHONE_CHUNK_QUEUE } from '../shared/storage/phoneImportStore';
import { type BenchOptions, memoryProbe, sandboxControl, type SandboxCounts, WRITE_QUOTA, WRITE_WINDOW_MS } from './common';

/**
 * Bulk phone import benchmark: the real pipeline (Azurite blobs, tables and queue; the Graph gateway) against the
 * Graph sandbox with realistic latency and Graph's identity throttling (resource units per 10 s, 3,000 writes per
 * 150 s per app and tenant). The sandbox runs as a child process so `peakRssMb` is the import's own memory.
 * For N rows (`UserName,PhoneNumber`, all new mobile numbers):
 *   ours: validate + chunk (100 rows), then 8 queue workers; Graph calls: users, phone methods and creates in
 *         `$batch` of 20, so the lower bound is 3 x ceil(N/20) HTTP calls.
 *   seed: one sequential POST per row (New-MgUserAuthenticationPhoneMethod in a foreach). Above `seedSample` rows it
 *         runs on a sample and is extrapolated linearly, which ignores the write throttling the full loop would meet.
 * Times: `wallMs` real; `simulatedMs` scales only the time Graph calls were in flight by timeScale (the sandbox divides
 * latency and throttle windows by it), storage and CPU time stay real;
 * `writeThrottleBoundMs` is the least simulated time Graph's write quota allows for N writes.
 */
// Smoke runs in real time (timeScale 1) so its figures need no scaling; full runs compress time by 20. Note the
// sandbox's own CPU time per request is not scaled, so simulated figures at timeScale > 1 are upper bounds.
let TIME_SCALE = 1;
const LATENCY = { min: 40, max: 120 };
const WORKERS = 8;
const SMS_GROUP = '30000000-0000-4000-8000-000000000001';
const AAD_PREMIUM = '41781fb2-bc02-4b7c-bd55-b576c07bb09d';

const userId = (n: number) => `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const upn = (n: number) => `bench${n}@bench.example`;
// Valid NANP numbers: area 206, exchanges 200-299, one per user.
const phone = (n: number) => `+1 206 ${200 + Math.floor(n / 10_000)} ${String(n % 10_000).padStart(4, '0')}`;

function writeTenant(dir: string, size: number): string {
  const file = path.join(dir, 'tenant.json');
  const users = Array.from({ length: size }, (_, i) => ({
    id: userId(i + 1),
    displayName: `Bench User ${i + 1}`,
    userPrincipalName: upn(i + 1),
    userType: 'Member',
    accountEnabled: true,
    assignedPlans: [
      {
        assignedDateTime: '2026-01-01T00:00:00Z',
        capabilityStatus: 'Enabled',
        service: 'AADPremiumService',
        servicePlanId: AAD_PREMIUM,
      },
    ],
  }));
  const tenant = {
    tenant: { id: randomUUID(), displayName: 'Bench', defaultDomain: 'bench.example' },
    users,
    groups: [
      {
        id: SMS_GROUP,
        displayName: 'SMS',
        groupTypes: [],
        mailEnabled: false,
        securityEnabled: true,
        members: users.map((u) => u.id),
      },
    ],
  };
  writeFileSync(file, JSON.stringify(tenant));
  return file;
}

async function startSandboxChild(tenantFile: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(__dirname, '../local/sandbox/main.js')], {
    env: { ...process.env, GRAPH_SANDBOX_PORT: '0', GRAPH_SANDBOX_TENANT: tenantFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${out}`)), 120_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening at (http:\/\/[\d.:]+)\/v1\.0/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`sandbox exited (${code ?? 'signal'}): ${out}`)));
  });
  return { url, child };
}

type Stats = SandboxCounts;
const control = sandboxControl;

/**
 * Measures the time at least one Graph call is in flight, so simulated time can scale only the Graph part:
 * simulatedMs = (wall - graphBusy) + graphBusy x timeScale (storage and CPU time are real, not simulated).
 */
function timedGraph(graph: Graph): { graph: Graph; busyMs(): number } {
  let inFlight = 0;
  let since = 0;
  let busy = 0;
  const track = async <T>(p: () => Promise<T>): Promise<T> => {
    if (inFlight++ === 0) since = Date.now();
    try {
      return await p();
    } finally {
      if (--inFlight === 0) busy += Date.now() - since;
    }
  };
  const wrapped: Graph = {
    request: (r) => track(() => graph.request(r)),
    send: (r, a) => track(() => graph.send(r, a)),
    pages: (r) => graph.pages(r),
    all: (r) => track(() => graph.all(r)),
    batch: (items) => track(() => graph.batch(items)),
    get counters() {
      return graph.counters;
    },
    scoped: (o) => graph.scoped(o),
  };
  return { graph: wrapped, busyMs: () => busy + (inFlight > 0 ? Date.now() - since : 0) };
}

const simulated = (wallMs: number, graphBusyMs: number) => Math.round(wallMs - graphBusyMs + graphBusyMs * TIME_SCALE);

const writeThrottleBoundMs = (writes: number) =>
  writes <= WRITE_QUOTA ? 0 : Math.ceil((writes - WRITE_QUOTA) / WRITE_QUOTA) * WRITE_WINDOW_MS;

async function ourWay(services: Services, connectionString: string, size: number, log: (l: string) => void) {
  const logger = createLogger('silent');
  const timed = timedGraph(services.graph);
  const deps = phoneImportDeps(services, logger, timed.graph);
  const file = `bench-${size}.csv`;
  const container = await services.storage.container(PHONE_CONTAINER);
  const body = Readable.from(
    (function* () {
      yield Buffer.from('UserName,PhoneNumber\r\n');
      // Batches of lines: one Buffer per line would make the upload slower than the import.
      for (let i = 1; i <= size; i += 1000) {
        const lines: string[] = [];
        for (let j = i; j < i + 1000 && j <= size; j++) lines.push(`${upn(j)},${phone(j)}\r\n`);
        yield Buffer.from(lines.join(''));
      }
    })(),
  );
  await container.getBlockBlobClient(`incoming/${file}`).uploadStream(body, 1024 * 1024, 2);

  const memory = memoryProbe();
  const started = Date.now();
  const result = await importFile({ path: `incoming/${file}`, file }, deps);
  if (result.outcome !== 'started') throw new Error(`import did not start: ${result.outcome}`);
  const validatedMs = Date.now() - started;
  const importId = result.record.importId;
  const queue = new QueueClient(connectionString, PHONE_CHUNK_QUEUE);
  let finished = false;
  let deferred = 0;
  const worker = async () => {
    while (!finished) {
      const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 1, visibilityTimeout: 600 });
      const m = receivedMessageItems[0];
      if (!m) {
        if ((await deps.records.get(importId))?.status === 'completed') finished = true;
        else await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const message = JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as {
        importId: string;
        chunk: number;
        attempt?: number;
      };
      if ((await processChunk(message, { ...deps, owner: m.messageId, retryDelaySeconds: () => 1 })) === 'deferred') deferred++;
      await queue.deleteMessage(m.messageId, m.popReceipt);
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  const wallMs = Date.now() - started;
  const { peakRssMb, peakHeapMb } = memory.stop();
  const progress = await importProgress(importId, deps);
  log(`  ours: ${size} rows in ${wallMs} ms (validation ${validatedMs} ms), peak RSS ${peakRssMb} MB, heap ${peakHeapMb} MB`);
  return { progress, wallMs, validatedMs, peakRssMb, peakHeapMb, graphBusyMs: timed.busyMs(), deferredChunks: deferred };
}

async function seedWay(services: Services, size: number, sample: number) {
  const scoped = services.graph.scoped();
  const timed = timedGraph(scoped);
  const graph = timed.graph;
  const n = Math.min(size, sample);
  const started = Date.now();
  for (let i = 1; i <= n; i++) {
    // New-MgUserAuthenticationPhoneMethod -UserId $User -phoneType "mobile" -phoneNumber $PhoneNumber; the seed's
    // numbers are already in Graph's format here (it has no normalisation).
    await graph.request({
      method: 'POST',
      path: graphPath`/users/${upn(size - i + 1)}/authentication/phoneMethods`,
      body: { phoneType: 'mobile', phoneNumber: phone(size - i + 1).replace(/^(\+1) (\d{3}) (\d{3}) (\d{4})$/, '$1 $2$3$4') },
    });
  }
  const wallMs = Date.now() - started;
  const factor = size / n;
  return {
    sampledRows: n,
    extrapolated: n < size,
    graphHttpCalls: Math.round(scoped.counters.httpCalls * factor),
    throttled: Math.round(scoped.counters.throttled * factor),
    wallMs: Math.round(wallMs * factor),
    simulatedMs: Math.round(simulated(wallMs, timed.busyMs()) * factor),
    rowsPerSimulatedSecond: Math.round((size / ((simulated(wallMs, timed.busyMs()) * factor) / 1000)) * 10) / 10,
  };
}

async function runSize(size: number, seedSample: number, log: (l: string) => void) {
  const dir = mkdtempSync(path.join(tmpdir(), 'phones-bench-'));
  const azurite = await startAzurite({ inMemory: true });
  const sandbox = await startSandboxChild(writeTenant(dir, size));
  try {
    await control(sandbox.url, '/_sandbox/knobs', {
      latencyMs: LATENCY,
      timeScale: TIME_SCALE,
      throttling: { enabled: true, tenantSize: 'auto' },
    });
    const config = loadConfig({
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: sandbox.url,
      GRAPH_AUTH: 'static',
      GRAPH_STATIC_TOKEN: 'bench-phones',
      LOG_LEVEL: 'silent',
      PHONE_CHUNK_SIZE: '100',
      PHONE_MAX_ROWS: String(Math.max(size, 1)),
    });
    const services = buildServices(config);
    await control(sandbox.url, '/_sandbox/stats/reset', {});
    const ours = await ourWay(services, azurite.connectionString, size, log);
    const st = (await control(sandbox.url, '/_sandbox/stats')) as Stats;
    const lowerBound = 3 * Math.ceil(size / 20);
    const simulatedMs = simulated(ours.wallMs, ours.graphBusyMs);
    const seed = await seedWayFresh(azurite.connectionString, size, seedSample, dir);
    return {
      rows: size,
      ours: {
        status: ours.progress?.status,
        counts: ours.progress?.rows,
        graphHttpCalls: st.requests,
        subRequests: st.subRequests,
        throttled: st.throttled,
        deferredChunks: ours.deferredChunks,
        lowerBoundCalls: lowerBound,
        ratioToLowerBound: Math.round((st.requests / lowerBound) * 1000) / 1000,
        wallMs: ours.wallMs,
        validationWallMs: ours.validatedMs,
        graphBusyWallMs: ours.graphBusyMs,
        simulatedMs,
        writeThrottleBoundMs: writeThrottleBoundMs(size),
        rowsPerSimulatedSecond: Math.round((size / (simulatedMs / 1000)) * 10) / 10,
        peakRssMb: ours.peakRssMb,
        peakHeapMb: ours.peakHeapMb,
      },
      seed,
    };
  } finally {
    sandbox.child.kill('SIGTERM');
    await azurite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The seed's loop against a fresh copy of the tenant (a second sandbox), so it creates real numbers too. */
async function seedWayFresh(connectionString: string, size: number, sample: number, dir: string) {
  const sandbox = await startSandboxChild(path.join(dir, 'tenant.json'));
  try {
    await control(sandbox.url, '/_sandbox/knobs', {
      latencyMs: LATENCY,
      timeScale: TIME_SCALE,
      throttling: { enabled: true, tenantSize: 'auto' },
    });
    const config = loadConfig({
      AzureWebJobsStorage: connectionString,
      GRAPH_BASE_URL: sandbox.url,
      GRAPH_AUTH: 'static',
      GRAPH_STATIC_TOKEN: 'bench-seed',
      LOG_LEVEL: 'silent',
    });
    return await seedWay(buildServices(config), size, sample);
  } finally {
    sandbox.child.kill('SIGTERM');
  }
}

export async function run(options: BenchOptions): Promise<Record<string, unknown>> {
  TIME_SCALE = options.smoke ? 1 : 20;
  // PHONES_BENCH_SIZES=30000,50000 runs other sizes (for profiling); the defaults are the sizes.
  const custom = (process.env.PHONES_BENCH_SIZES ?? '')
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const sizes = custom.length > 0 ? custom : options.smoke ? [300] : [1_000, 10_000, 100_000];
  const seedSample = options.smoke ? 100 : 1_000;
  const results: unknown[] = [];
  for (const size of sizes) {
    options.log(`phones: ${size} rows`);
    results.push(await runSize(size, seedSample, options.log));
  }
  return {
    description:
      'Bulk phone import on the Graph sandbox (latency 40-120 ms, identity throttling on) and Azurite: ours (validate, chunk, $batch workers) vs the seed (one sequential POST per row).',
    timeScale: TIME_SCALE,
    latencyMs: LATENCY,
    workers: WORKERS,
    chunkSize: 100,
    sizes: results,
  };
}

if (require.main === module) {
  run({ smoke: process.argv.includes('--smoke'), log: (l) => process.stderr.write(`${l}\n`) }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
