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
import { deployedNodeArguments } from './childRun';
import { type BenchOptions, memoryProbe, sandboxControl, type SandboxCounts, WRITE_QUOTA, WRITE_WINDOW_MS } from './common';

/**
 * Bulk phone import benchmark: the real pipeline (Azurite blobs, tables and queue; the Graph gateway) against the
 * Graph sandbox with realistic latency and Graph's identity throttling (resource units per 10 s, 3,000 writes per
 * 150 s per app and tenant). Three processes: this one (Azurite's CLI, the CSV upload, the figures), the sandbox, and
 * the measured import, started as deployed (the V8 heap flag of infra/main.bicep's `languageWorkers__node__arguments`),
 * so `peakRssMb` is the app's own memory.
 * For N rows (`UserName,PhoneNumber`, all new mobile numbers):
 *   ours: validate + chunk (100 rows), then 8 queue workers; Graph calls: users, phone methods, the privileged-user
 *         guard's two reads per user and creates in `$batch` of 20, so the lower bound is 5 x ceil(N/20) HTTP calls.
 *         Creates are paced by the gateway's write budget, so Graph refuses none.
 *   seed: one sequential POST per row (New-MgUserAuthenticationPhoneMethod in a foreach). Above `seedSample` rows it
 *         runs on a sample and is extrapolated linearly, which ignores the write throttling the full loop would meet.
 * One clock: the sandbox divides latency and every throttle window by `timeScale`, and the app divides its write
 * budget and paced buckets by the same factor (`GRAPH_PACING_TIME_SCALE`), so both meter the same windows on the same
 * real clock: calls and throttled items do not depend on the machine's speed. Times: `wallMs` real;
 * `scaledMs` = wall x timeScale (what the run would take against Graph if the app's own work were as fast);
 * `writeQuotaBoundMs` is the least time Graph's write quota allows for N writes (token bucket: 3,000 at once, then
 * 20 per second); `simulatedMs` scales only the time Graph calls were in flight (the seed's figure, kept comparable).
 */
// Smoke runs in real time (timeScale 1) so its figures need no scaling; full runs compress time by 20.
let TIME_SCALE = 1;
const LATENCY = { min: 40, max: 120 };
const WORKERS = 8;
const SMS_GROUP = '30000000-0000-4000-8000-000000000001';
const AAD_PREMIUM = '41781fb2-bc02-4b7c-bd55-b576c07bb09d';
/** Regression gates: calls within 5% of the lower bound, at most 0.1% of rows throttled, peak RSS under 256 MiB. */
const MAX_CALL_RATIO = 1.05;
const MAX_THROTTLED_PER_ROW = 0.001;
const MAX_RSS_MB = (256 * 1024 * 1024) / 1e6;

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

/** Graph's write quota as a token bucket: WRITE_QUOTA writes at once, then WRITE_QUOTA per WRITE_WINDOW_MS. */
const writeQuotaBoundMs = (writes: number) => Math.ceil((Math.max(0, writes - WRITE_QUOTA) / WRITE_QUOTA) * WRITE_WINDOW_MS);

/**
 * Per 20 rows, one `$batch` each for: the users, their phone methods, the privileged-user guard's two reads per user
 * (active role assignments, transitive memberships: 40 items, two calls) and the creates.
 */
const lowerBoundCalls = (rows: number) => 5 * Math.ceil(rows / 20);

/** What the measured child needs; passed as JSON in PHONES_BENCH_CHILD. */
interface ChildInput {
  readonly connectionString: string;
  readonly sandboxUrl: string;
  readonly size: number;
  readonly timeScale: number;
  readonly file: string;
}

interface ChildResult {
  readonly importId: string;
  readonly status: string | undefined;
  readonly counts: unknown;
  readonly wallMs: number;
  readonly validatedMs: number;
  readonly graphBusyMs: number;
  readonly deferredChunks: number;
  readonly peakRssMb: number;
  readonly peakHeapMb: number;
}

/** The app's settings for the import, as the deployed app would read them (time scale: the bench's one clock). */
function appConfig(input: ChildInput, token: string) {
  return loadConfig({
    AzureWebJobsStorage: input.connectionString,
    GRAPH_BASE_URL: input.sandboxUrl,
    GRAPH_AUTH: 'static',
    GRAPH_STATIC_TOKEN: token,
    LOG_LEVEL: 'silent',
    PHONE_CHUNK_SIZE: '100',
    PHONE_MAX_ROWS: String(Math.max(input.size, 1)),
    GRAPH_PACING_TIME_SCALE: String(input.timeScale),
  });
}

async function uploadCsv(services: Services, size: number, file: string): Promise<void> {
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
}

/** The queue workers as the Functions host runs them: receive, process, delete, until the import completes. */
async function drainQueue(input: ChildInput, importId: string, deps: ReturnType<typeof phoneImportDeps>): Promise<number> {
  const queue = new QueueClient(input.connectionString, PHONE_CHUNK_QUEUE);
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
  return deferred;
}

/** The measured part, in its own process: validation, chunking and the 8 workers, with one gateway. */
async function importChild(input: ChildInput): Promise<ChildResult> {
  const services = buildServices(appConfig(input, 'bench-phones'));
  const timed = timedGraph(services.graph);
  const deps = phoneImportDeps(services, createLogger('silent'), timed.graph);
  const memory = memoryProbe();
  const started = Date.now();
  const result = await importFile({ path: `incoming/${input.file}`, file: input.file }, deps);
  if (result.outcome !== 'started') throw new Error(`import did not start: ${result.outcome}`);
  const validatedMs = Date.now() - started;
  const importId = result.record.importId;
  const deferredChunks = await drainQueue(input, importId, deps);
  const wallMs = Date.now() - started;
  const { peakRssMb, peakHeapMb } = memory.stop();
  const progress = await importProgress(importId, deps);
  return {
    importId,
    status: progress?.status,
    counts: progress?.rows,
    wallMs,
    validatedMs,
    graphBusyMs: timed.busyMs(),
    deferredChunks,
    peakRssMb,
    peakHeapMb,
  };
}

/** Runs `importChild` in a child process with the deployed Node arguments; its JSON result is its last stdout line. */
async function ourWay(input: ChildInput, log: (l: string) => void): Promise<ChildResult> {
  const child = spawn(process.execPath, [...deployedNodeArguments().args, __filename, '--import-child'], {
    env: { ...process.env, PHONES_BENCH_CHILD: JSON.stringify(input) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`import child exited with ${code ?? 'a signal'}`);
  const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as ChildResult;
  log(
    `  ours: ${input.size} rows in ${result.wallMs} ms (validation ${result.validatedMs} ms), peak RSS ${result.peakRssMb} MB, heap ${result.peakHeapMb} MB`,
  );
  return result;
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

/** Figures of our import, from the child's result and the sandbox's counters. */
function ourFigures(size: number, ours: ChildResult, st: Stats) {
  const lowerBound = lowerBoundCalls(size);
  const scaledMs = ours.wallMs * TIME_SCALE;
  const boundMs = writeQuotaBoundMs(size);
  return {
    status: ours.status,
    counts: ours.counts,
    graphHttpCalls: st.requests,
    subRequests: st.subRequests,
    throttled: st.throttled,
    deferredChunks: ours.deferredChunks,
    lowerBoundCalls: lowerBound,
    ratioToLowerBound: Math.round((st.requests / lowerBound) * 1000) / 1000,
    wallMs: ours.wallMs,
    validationWallMs: ours.validatedMs,
    graphBusyWallMs: ours.graphBusyMs,
    scaledMs,
    writeQuotaBoundMs: boundMs,
    ratioToWriteQuotaBound: boundMs === 0 ? null : Math.round((scaledMs / boundMs) * 1000) / 1000,
    // Validation writes nothing; the quota bounds the part after it.
    writePhaseRatioToWriteQuotaBound:
      boundMs === 0 ? null : Math.round((((ours.wallMs - ours.validatedMs) * TIME_SCALE) / boundMs) * 1000) / 1000,
    simulatedMs: simulated(ours.wallMs, ours.graphBusyMs),
    rowsPerScaledSecond: Math.round((size / (scaledMs / 1000)) * 10) / 10,
    // The app's own pace: quota-bound when above timeScale x 20 rows per second (Graph's 3,000 writes per 150 s).
    rowsPerRealSecond: Math.round((size / (ours.wallMs / 1000)) * 10) / 10,
    quotaRowsPerRealSecond: Math.round((WRITE_QUOTA / WRITE_WINDOW_MS) * 1000 * TIME_SCALE * 10) / 10,
    peakRssMb: ours.peakRssMb,
    peakRssMiB: Math.round(((ours.peakRssMb * 1e6) / 1024 / 1024) * 10) / 10,
    peakHeapMb: ours.peakHeapMb,
  };
}

/** The regression gates; a failed one makes the bench exit non-zero. */
function gates(size: number, figures: ReturnType<typeof ourFigures>): Record<string, boolean> {
  return {
    completed: figures.status === 'completed',
    callsWithin5PercentOfLowerBound: figures.ratioToLowerBound <= MAX_CALL_RATIO,
    throttledAtMostOnePerThousandRows: figures.throttled <= Math.floor(size * MAX_THROTTLED_PER_ROW),
    peakRssUnder256MiB: figures.peakRssMb < MAX_RSS_MB,
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
    const input: ChildInput = {
      connectionString: azurite.connectionString,
      sandboxUrl: sandbox.url,
      size,
      timeScale: TIME_SCALE,
      file: `bench-${size}.csv`,
    };
    await uploadCsv(buildServices(appConfig(input, 'bench-upload')), size, input.file);
    await control(sandbox.url, '/_sandbox/stats/reset', {});
    const ours = await ourWay(input, log);
    const figures = ourFigures(size, ours, (await control(sandbox.url, '/_sandbox/stats')) as Stats);
    const checks = gates(size, figures);
    const seed = await seedWayFresh(azurite.connectionString, size, seedSample, dir);
    return { rows: size, ours: figures, checks, seed };
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
      GRAPH_PACING_TIME_SCALE: String(TIME_SCALE),
    });
    return await seedWay(buildServices(config), size, sample);
  } finally {
    sandbox.child.kill('SIGTERM');
  }
}

export async function run(options: BenchOptions): Promise<Record<string, unknown>> {
  // PHONES_BENCH_TIME_SCALE=2 runs a full size where a loaded 2-core machine keeps up with the scaled write quota.
  const scale = Number(process.env.PHONES_BENCH_TIME_SCALE ?? '20');
  TIME_SCALE = options.smoke ? 1 : Number.isFinite(scale) && scale > 0 ? scale : 20;
  // PHONES_BENCH_SIZES=30000,50000 runs other sizes (for profiling); the defaults are the sizes.
  const custom = (process.env.PHONES_BENCH_SIZES ?? '')
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const sizes = custom.length > 0 ? custom : options.smoke ? [300] : [1_000, 10_000, 100_000];
  const seedSample = options.smoke ? 100 : 1_000;
  const results: { rows: number; checks: Record<string, boolean> }[] = [];
  for (const size of sizes) {
    options.log(`phones: ${size} rows`);
    results.push(await runSize(size, seedSample, options.log));
  }
  const failed = results.flatMap((r) =>
    Object.entries(r.checks)
      .filter(([, ok]) => !ok)
      .map(([name]) => `${r.rows} rows: ${name}`),
  );
  if (failed.length > 0) {
    // The JSON is still printed; the exit code fails CI.
    options.log(`phones bench regression: ${failed.join('; ')}`);
    process.exitCode = 1;
  }
  const node = deployedNodeArguments();
  return {
    description:
      'Bulk phone import on the Graph sandbox (latency 40-120 ms, identity throttling on) and Azurite: ours (validate, chunk, $batch workers, writes paced to the quota) vs the seed (one sequential POST per row).',
    clock: {
      timeScale: TIME_SCALE,
      meaning:
        "one clock: the sandbox divides latency and every throttle window by timeScale, and the app divides its write budget and paced buckets by the same factor (GRAPH_PACING_TIME_SCALE), both on this machine's real clock; scaledMs = wallMs x timeScale",
    },
    importProcess: { nodeArguments: node.args, as: node.source },
    gates: {
      maxCallRatio: MAX_CALL_RATIO,
      maxThrottledPerRow: MAX_THROTTLED_PER_ROW,
      maxPeakRssMb: Math.round(MAX_RSS_MB * 10) / 10,
    },
    latencyMs: LATENCY,
    workers: WORKERS,
    chunkSize: 100,
    sizes: results,
  };
}

if (require.main === module && process.argv.includes('--import-child')) {
  importChild(JSON.parse(process.env.PHONES_BENCH_CHILD ?? '{}') as ChildInput).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
} else if (require.main === module) {
  run({ smoke: process.argv.includes('--smoke'), log: (l) => process.stderr.write(`${l}\n`) }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
