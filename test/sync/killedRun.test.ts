import { describe, expect, it } from 'vitest';

import { DEMO_GROUPS, DEMO_USERS } from '../../local/tenants/demoIds';
import type { Graph } from '../../shared/graph/types';
import { getServices, type Services } from '../../shared/runtime/services';
import { runSyncJob, syncJobDeps } from '../../shared/runtime/syncJob';
import { BlobRunRecords } from '../../shared/storage/syncStore';
import { jobInputSchema } from '../../shared/sync/jobModel';
import { createJob } from '../../shared/sync/jobs';
import { eventually } from '../helpers/host';
import { graphAdmin, membersOf, runOnceLeaseExpires, useSyncHarness } from './harness';

/**
 * A run that dies mid-way (host killed, worker recycled): from the point of death no code of the run executes, so its
 * lease stays taken, its record says `running` and the target snapshot is stale. Simulated by a Graph whose write
 * batches never answer after the first one; the next run must take over once the lease expires and converge. In one
 * process the run's heartbeat would keep renewing its lease, so the run's own deadline (4 s) stops it: from then on
 * nothing renews the lease, as after a real death (test/resilience/killSync.test.ts kills real processes).
 */
const harness = useSyncHarness();

function dyingAfter(graph: Graph, writeBatches: number): Graph {
  let seen = 0;
  const wrap = (g: Graph): Graph => ({
    request: (r) => g.request(r),
    send: (r, allow) => g.send(r, allow),
    pages: (r) => g.pages(r),
    all: (r) => g.all(r),
    batch: <T>(items: Parameters<Graph['batch']>[0]) => {
      if (items.some((i) => i.method !== 'GET') && seen++ >= writeBatches) return new Promise<never>(() => undefined);
      return g.batch<T>(items);
    },
    get counters() {
      return g.counters;
    },
    scoped: (o) => wrap(g.scoped(o)),
  });
  return wrap(graph);
}

describe('a run killed mid-way', () => {
  it('is taken over after its lease expires; the re-run converges without adding anyone twice or removing protected members', async () => {
    const h = harness.current;
    const services = getServices();
    await graphAdmin.addMember(h, G.group2Name.id, DEMO_USERS.securityAdmin.id);
    await graphAdmin.addMember(h, G.group2Name.id, DEMO_USERS.globalAdmin.id);
    const job = await createJob(
      syncJobDeps(services),
      jobInputSchema.parse({
        name: 'killed',
        target: G.group2Name.id,
        sources: [{ group: G.group1Name.id }],
        mode: 'mirror',
        protected: [DEMO_USERS.securityAdmin.id],
        // Removes on purpose: lift the default mirror removal limit explicitly.
        limits: { maxRemovalPercent: 100 },
      }),
      'test',
    );

    const dying: Services = { ...services, graph: dyingAfter(services.graph, 1) };
    void runSyncJob(
      dying,
      job.jobId,
      { dryRun: false, actor: 'test', trigger: 'http' },
      { settings: { leaseTtlMs: 1500, writeSliceSize: 20, runDeadlineMs: 4000 } },
    );
    await eventually('the first slice of adds', async () => (await membersOf(h, G.group2Name.id)).length >= 22);

    const second = await runOnceLeaseExpires(services, job.jobId, 20_000);
    expect(second.status).toBe('succeeded');
    expect(second.plan.add).toHaveLength(second.counts.desired - 20);
    expect(second.plan.remove).toEqual([DEMO_USERS.globalAdmin.id]);

    const members = await membersOf(h, G.group2Name.id);
    expect(members).toContain(DEMO_USERS.securityAdmin.id);
    expect(members).not.toContain(DEMO_USERS.globalAdmin.id);
    expect(members).toHaveLength(second.counts.desired + 1);

    const stats = await graphAdmin.stats(h);
    // 20 members in the dead run's one PATCH, the rest in the re-run's; no per-member fallback for "already a member".
    expect(stats.byRouteInBatch['PATCH /groups/{id}']).toBe(1 + Math.ceil((second.counts.desired - 20) / 20));
    expect(stats.byRouteInBatch['POST /groups/{id}/members/$ref'] ?? 0).toBe(0);

    // The dead run's first slice reached the audit log with its run id; its record now says it was interrupted.
    const audit = await services.audit.list({ since: new Date(Date.now() - 600_000) });
    const deadRunId = audit.find((e) => e.job === job.jobId && e.runId !== undefined && e.runId !== second.runId)?.runId;
    const dead = await new BlobRunRecords(services.storage).getRun(deadRunId ?? '');
    expect(dead?.status).toBe('partial');
    expect(dead?.counts.added).toBe(20);
    expect(dead?.errors.at(-1)?.code).toBe('SYNC_RUN_INTERRUPTED');
  });
});

const G = DEMO_GROUPS;
