import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { syncJobRunHandler } from '../../functions/syncJobRun';
import { DEMO_GROUPS } from '../../local/tenants/demoIds';
import { getServices, setServices } from '../../shared/runtime/services';
import { syncJobDeps } from '../../shared/runtime/syncJob';
import { jobInputSchema, type SyncRun } from '../../shared/sync/jobModel';
import { createJob } from '../../shared/sync/jobs';
import { setKnobs, useSyncHarness } from './harness';

/** Every line a sync run writes, the Graph gateway's retries included, reaches the invocation's log with the run id. */
const harness = useSyncHarness();
let savedLevel: string | undefined;

beforeEach(() => {
  savedLevel = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'info';
  setServices(undefined);
});
afterEach(() => {
  process.env.LOG_LEVEL = savedLevel;
  setServices(undefined);
});

describe('sync run logs', () => {
  it('carry the run id on every line, and the gateway retry lines reach the invocation log', async () => {
    const job = await createJob(
      syncJobDeps(getServices()),
      jobInputSchema.parse({
        name: 'logs',
        target: DEMO_GROUPS.group2Name.id,
        sources: [{ group: DEMO_GROUPS.group1Name.id }],
      }),
      'test',
    );
    await setKnobs(harness.current, {
      faults: [
        { route: 'POST /$batch', kind: '503', times: 1, scope: 'topLevel' },
        { route: 'PATCH /groups/{id}', kind: '429', times: 1, scope: 'batchItem', retryAfterSeconds: 0 },
      ],
    });
    const lines: Record<string, unknown>[] = [];
    const context = new InvocationContext({
      invocationId: 'inv-logs',
      functionName: 'syncJobRun',
      logHandler: (_level, ...args) => lines.push(JSON.parse(args.map(String).join(' ')) as Record<string, unknown>),
    });
    const request = new HttpRequest({
      method: 'POST',
      url: `http://localhost/api/sync/jobs/${job.jobId}/run`,
      params: { jobId: job.jobId },
    });
    const run = (await syncJobRunHandler(request, context)).jsonBody as SyncRun;
    expect(run.status).toBe('succeeded');

    const retries = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('graph retry'));
    expect(retries.map((l) => l.msg)).toEqual(expect.arrayContaining(['graph retry', 'graph retry of batch items']));
    const runLines = lines.filter((l) => l.msg !== 'sync run finished');
    expect(runLines.length).toBeGreaterThanOrEqual(4);
    for (const line of runLines) expect(line).toMatchObject({ runId: run.runId, invocationId: 'inv-logs' });
  });
});
