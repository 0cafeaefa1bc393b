import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEMO_GROUPS } from '../../local/tenants/demoIds';
import { getServices } from '../../shared/runtime/services';
import { syncJobDeps } from '../../shared/runtime/syncJob';
import { syncStores } from '../../shared/storage/syncStore';
import { jobInputSchema } from '../../shared/sync/jobModel';
import { createJob } from '../../shared/sync/jobs';
import { eventually } from '../helpers/host';
import { graphAdmin, membersOf, runOnceLeaseExpires, setKnobs, useSyncHarness } from './harness';

/**
 * A run whose process stalls past its lease (a frozen VM, a long GC pause), for real: the compiled app runs a sync in
 * a child process that is SIGSTOPped while it reads Graph. A newer run takes the expired lease over and finishes the
 * job. When the stalled process is resumed it must notice it lost the lease and stop: no write to Graph, and no ledger,
 * snapshot or plan of its stale view over the newer run's state.
 */
const ROOT = path.resolve(__dirname, '../..');
const RUN_IN_CHILD = `
const { getServices } = require(${JSON.stringify(path.join(ROOT, 'dist/shared/runtime/services.js'))});
const { runSyncJob } = require(${JSON.stringify(path.join(ROOT, 'dist/shared/runtime/syncJob.js'))});
runSyncJob(getServices(), process.env.JOB_ID, { dryRun: false, actor: 'child', trigger: 'http' },
  { settings: { leaseTtlMs: 1500 } }).then(() => process.exit(0), () => process.exit(1));
`;

const harness = useSyncHarness();
let child: ChildProcess | undefined;

beforeAll(() => {
  // The child runs the compiled app: build it so the test exercises this commit's code.
  const built = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  expect(built.status).toBe(0);
});
afterAll(() => {
  child?.kill('SIGKILL');
});

describe('a sync process stalled past its lease', () => {
  it('stops when resumed, leaving the newer run’s ledger, snapshot and target untouched', async () => {
    const h = harness.current;
    const services = getServices();
    const store = syncStores(services.storage);
    const target = DEMO_GROUPS.group2Name.id;
    const job = await createJob(
      syncJobDeps(services),
      jobInputSchema.parse({ name: 'stale', target, sources: [{ group: DEMO_GROUPS.largeE3.id }], mode: 'mirror' }),
      'test',
    );
    // Slow Graph down so the stop lands while the child reads.
    await setKnobs(h, { latencyMs: { min: 400, max: 500 } });
    const started = spawn(process.execPath, ['-e', RUN_IN_CHILD], {
      env: { ...process.env, JOB_ID: job.jobId, LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    child = started;
    const exited = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));
    const staleRunId = await eventually(
      'the child to start its run',
      async () => (await store.schedules.getScheduleState(job.jobId))?.lastRunId,
      30_000,
    );
    started.kill('SIGSTOP');

    await setKnobs(h, { latencyMs: { min: 0, max: 0 } });
    const newer = await runOnceLeaseExpires(services, job.jobId);
    expect(newer.status).toBe('succeeded');
    const ledger = await store.ledger.loadLedger(job.jobId);
    const snapshot = await store.snapshots.loadSnapshot(job.jobId, target);
    const members = await membersOf(h, target);
    const writes = (await graphAdmin.stats(h)).byRouteInBatch['PATCH /groups/{id}'] ?? 0;

    started.kill('SIGCONT');
    expect(await exited).toBe(0);
    expect(await store.ledger.loadLedger(job.jobId)).toEqual(ledger);
    expect(await store.snapshots.loadSnapshot(job.jobId, target)).toEqual(snapshot);
    expect(await membersOf(h, target)).toEqual(members);
    expect((await graphAdmin.stats(h)).byRouteInBatch['PATCH /groups/{id}'] ?? 0).toBe(writes);
    const stale = await store.runs.getRun(staleRunId);
    expect(stale?.status).toBe('failed');
    expect(stale?.counts.added).toBe(0);
  });
});
