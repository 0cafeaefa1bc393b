import { describe, expect, it } from 'vitest';

import { conflict } from '../../shared/errors';
import { jobInputSchema, type SyncRun } from '../../shared/sync/jobModel';
import { createJob } from '../../shared/sync/jobs';
import { runDueJobs } from '../../shared/sync/runDueJobs';
import { jobDeps, world } from './fakes';

describe('runDueJobs', () => {
  it('runs each enabled scheduled job once per occurrence and skips unscheduled or disabled ones', async () => {
    const w = world();
    const s = w.dir.group(1);
    const hourly = await createJob(
      jobDeps(w),
      jobInputSchema.parse({ name: 'h', target: w.dir.group(2), sources: [{ group: s }], schedule: '0 0 * * * *' }),
      'me',
    );
    await createJob(jobDeps(w), jobInputSchema.parse({ name: 'manual', target: w.dir.group(3), sources: [{ group: s }] }), 'me');
    await createJob(
      jobDeps(w),
      jobInputSchema.parse({
        name: 'off',
        target: w.dir.group(4),
        sources: [{ group: s }],
        schedule: '0 0 * * * *',
        enabled: false,
      }),
      'me',
    );
    const ran: string[] = [];
    const deps = {
      jobs: w.jobs,
      schedules: w.schedules,
      now: () => w.now,
      run: async (jobId: string) => {
        ran.push(jobId);
        return { runId: `r${ran.length}`, status: 'succeeded' } as SyncRun;
      },
    };
    expect(await runDueJobs(deps)).toEqual([]);
    w.now = new Date(w.now.getTime() + 3600_000);
    expect((await runDueJobs(deps)).map((o) => o.status)).toEqual(['succeeded']);
    expect(await runDueJobs(deps)).toEqual([]);
    expect(ran).toEqual([hourly.jobId]);
  });

  it('reports a job already running as skipped and keeps it due', async () => {
    const w = world();
    await createJob(
      jobDeps(w),
      jobInputSchema.parse({ name: 'h', target: w.dir.group(2), sources: [{ group: w.dir.group(1) }], schedule: '0 0 * * * *' }),
      'me',
    );
    w.now = new Date(w.now.getTime() + 3600_000);
    const busy = {
      jobs: w.jobs,
      schedules: w.schedules,
      now: () => w.now,
      run: () => Promise.reject(conflict('SYNC_RUN_IN_PROGRESS', 'busy')),
    };
    expect((await runDueJobs(busy))[0]?.status).toBe('skipped');
    expect((await runDueJobs(busy))[0]?.status).toBe('skipped');
  });
});
