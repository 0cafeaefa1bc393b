import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEMO_GROUPS, DEMO_USERS } from '../../local/tenants/demoIds';
import { getServices } from '../../shared/runtime/services';
import { runSyncJob, syncJobDeps } from '../../shared/runtime/syncJob';
import { jobInputSchema } from '../../shared/sync/jobModel';
import { createJob } from '../../shared/sync/jobs';
import { eventually } from '../helpers/host';
import { graphAdmin, membersOf, runOnceLeaseExpires, setKnobs, useSyncHarness } from './harness';

/**
 * The "process killed mid-run", for real: the compiled app runs a sync in a child process that is SIGKILLed
 * once some adds have landed. Nothing of that run executes afterwards (no lease release, no final record). The next
 * run takes the expired lease over and converges: it adds only who is missing and never removes the protected member.
 */
const ROOT = path.resolve(__dirname, '../..');
const RUN_IN_CHILD = `
const { getServices } = require(${JSON.stringify(path.join(ROOT, 'dist/shared/runtime/services.js'))});
const { runSyncJob } = require(${JSON.stringify(path.join(ROOT, 'dist/shared/runtime/syncJob.js'))});
runSyncJob(getServices(), process.env.JOB_ID, { dryRun: false, actor: 'child', trigger: 'http' },
  { settings: { leaseTtlMs: 1500, writeSliceSize: 20 } }).then(() => process.exit(0), () => process.exit(1));
`;

const harness = useSyncHarness();
let child: ChildProcess | undefined;

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist/shared/runtime/syncJob.js'))) {
    spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
});
afterAll(() => {
  child?.kill('SIGKILL');
});

describe('a sync process SIGKILLed mid-run', () => {
  it('leaves a state the next run converges from, adding no one twice and keeping protected members', async () => {
    const h = harness.current;
    const services = getServices();
    const target = DEMO_GROUPS.group2Name.id;
    const manual = DEMO_USERS.securityAdmin.id;
    await graphAdmin.addMember(h, target, manual);
    const job = await createJob(
      syncJobDeps(services),
      jobInputSchema.parse({
        name: 'sigkill',
        target,
        sources: [{ group: DEMO_GROUPS.largeE3.id }],
        mode: 'mirror',
        protected: [manual],
      }),
      'test',
    );
    // Slow Graph down so the kill lands between write slices.
    await setKnobs(h, { latencyMs: { min: 150, max: 250 } });

    const started = spawn(process.execPath, ['-e', RUN_IN_CHILD], {
      env: { ...process.env, JOB_ID: job.jobId, LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    child = started;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => started.once('exit', (_code, signal) => resolve(signal)));
    await eventually('some adds from the child', async () => (await membersOf(h, target)).length >= 41, 60_000);
    started.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    await setKnobs(h, { latencyMs: { min: 0, max: 0 } });
    const rerun = await runOnceLeaseExpires(services, job.jobId);

    expect(rerun.status).toBe('succeeded');
    expect(rerun.counts.failed).toBe(0);
    // Only the members the killed run had not added yet are added now...
    expect(rerun.plan.add.length).toBeGreaterThan(0);
    expect(rerun.plan.add.length).toBeLessThan(rerun.counts.desired - 40);
    // ...and no bind PATCH met a member that was already there (that would force the per-member fallback).
    const stats = await graphAdmin.stats(h);
    expect(stats.byRouteInBatch['POST /groups/{id}/members/$ref'] ?? 0).toBe(0);
    const after = await membersOf(h, target);
    expect(after).toContain(manual);
    expect(after).toHaveLength(rerun.counts.desired + 1);

    const again = await runSyncJob(services, job.jobId, { dryRun: true, actor: 'test', trigger: 'http' });
    expect(again.plan).toEqual({ add: [], remove: [] });
  });
});
