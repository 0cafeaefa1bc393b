import { afterAll, describe, expect, it } from 'vitest';

import { DEMO_GROUPS, DEMO_USERS } from '../../local/tenants/demoIds';
import { getServices } from '../../shared/runtime/services';
import { syncJobDeps } from '../../shared/runtime/syncJob';
import { syncStores } from '../../shared/storage/syncStore';
import { jobInputSchema } from '../../shared/sync/jobModel';
import { createJob } from '../../shared/sync/jobs';
import { graphAdmin, membersOf, useSyncHarness } from '../sync/harness';
import { killChildren, type KillScenario } from './killHarness';
import { KILL_TEST_TIMEOUT_MS, killAndRerun, KILLS } from './killRun';

/**
 * Group sync killed at KILLS points (reads, write batches, checkpoints, audit rows, the schedule record) and recovered
 * as production recovers: the next timer tick runs the due job, takes the dead run's lapsed lease over and re-reads
 * Graph. A mirror job with adds (a 178-member source) and removes (members only the target had), one protected member.
 * Replaces test/sync/sigkill.test.ts, which killed one run at a moment chosen by wall clock.
 */
const harness = useSyncHarness();
afterAll(killChildren);

const TARGET = DEMO_GROUPS.group2Name.id;
const PROTECTED = DEMO_USERS.securityAdmin.id;
const SINCE = new Date(Date.now() - 3_600_000);
const UNTIL = new Date(Date.now() + 7 * 24 * 3_600_000);
let jobId = '';

async function syncDone(): Promise<boolean> {
  const store = syncStores(getServices().storage);
  const runId = (await store.schedules.getScheduleState(jobId))?.lastRunId;
  return runId !== undefined && (await store.runs.getRun(runId))?.status === 'succeeded';
}

interface SyncSnapshot {
  readonly members: string[];
  /** Audited events written more than once (must be none). */
  readonly auditTwice: string[];
  /** Not compared: see `gaps` below. */
  readonly audit?: string[];
  readonly stored: string[];
  readonly lastRun: string | undefined;
}

const scenario: KillScenario<SyncSnapshot> = {
  name: 'group-sync',
  targets: ['graph', 'storage'],
  functions: ['syncTimer'],
  async setup(h) {
    const services = getServices();
    const tenant = await graphAdmin.tenant(h);
    const source = new Set(tenant.groups.find((g) => g.id === DEMO_GROUPS.largeE3.id)?.members ?? []);
    const strays = (tenant.groups.find((g) => g.id === DEMO_GROUPS.group1Name.id)?.members ?? []).filter((m) => !source.has(m));
    for (const m of [PROTECTED, ...strays]) await graphAdmin.addMember(h, TARGET, m);
    const job = await createJob(
      syncJobDeps(services),
      jobInputSchema.parse({
        name: 'kill-and-rerun',
        target: TARGET,
        sources: [{ group: DEMO_GROUPS.largeE3.id }],
        mode: 'mirror',
        protected: [PROTECTED],
        schedule: '0 */15 * * * *',
        limits: { maxRemovalPercent: 100 },
      }),
      'test',
    );
    jobId = job.jobId;
  },
  // The sync timer: the job is due (the first host's clock is 20 minutes past its creation); after a kill, the next
  // host (20 minutes later: past the dead run's 15-minute lease) runs it again.
  start: (child) => child.invoke('syncTimer'),
  recovery: [{ clockMinutes: 40, run: (child) => child.invoke('syncTimer'), settled: () => syncDone() }],
  done: () => syncDone(),
  async snapshot(h) {
    const services = getServices();
    const store = syncStores(services.storage);
    const audit = await services.audit.list({ since: SINCE, until: UNTIL, limit: 100_000 });
    const runId = (await store.schedules.getScheduleState(jobId))?.lastRunId;
    const target = await store.snapshots.loadSnapshot(jobId, TARGET);
    const ours = audit.filter((e) => e.job === jobId);
    const rows = ours.map((e) => `${e.action} ${e.target ?? ''} ${e.outcome}`).sort();
    // A member's add or remove is audited once across runs; a run's own row once per run (the recovery host's timer
    // tick is a run of its own, due on the job's schedule, even when the killed run had finished).
    const events = ours.map((e) =>
      e.action === 'sync.run' ? `${e.action} ${e.runId ?? ''} ${e.outcome}` : `${e.action} ${e.target ?? ''} ${e.outcome}`,
    );
    const snapshot: SyncSnapshot = {
      members: await membersOf(h, TARGET),
      auditTwice: events.filter((event, i) => events.indexOf(event) !== i),
      // What the next run starts from: the stored target snapshot and the job's ledger.
      stored: [
        ...(target?.members.map((m) => `snapshot ${m.id}`) ?? []),
        ...[...(await store.ledger.loadLedger(jobId))].map((id) => `ledger ${id}`),
      ].sort(),
      lastRun: runId === undefined ? undefined : (await store.runs.getRun(runId))?.status,
    };
    // Kept beside the compared state (non-enumerable), so toEqual compares members, stored state and duplicates.
    Object.defineProperty(snapshot, 'audit', { value: rows, enumerable: false });
    return snapshot;
  },
  items: (s) => s.members.map((m) => `member ${m}`),
  // Known gap, reported: a run killed after Graph applied a slice and before it wrote that slice's audit rows leaves
  // those adds/removes unaudited; the next run finds them done and has nothing to audit.
  gaps: (clean, killed) => {
    const have = new Set(killed.audit ?? []);
    return { auditRowsMissing: (clean.audit ?? []).filter((row) => !have.has(row)).length };
  },
};

describe('group sync killed and re-run', () => {
  it(
    `converges to the clean run's tenant and stored state from ${KILLS} kill points, sending no write twice`,
    async () => {
      const figures = await killAndRerun(scenario, harness.current, {});
      expect(figures.duplicateWrites).toBe(0);
      expect(figures.lost).toBe(0);
      expect(figures.runsKilled).toBe(KILLS);
    },
    KILL_TEST_TIMEOUT_MS,
  );
});
