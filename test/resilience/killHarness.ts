/**
 * Kill and re-run, for any job: the app runs on the local host in a child process (killChild.ts) that SIGKILLs
 * itself at a chosen call; a new child then recovers the job the way production does (a timer tick, a redelivered
 * queue message, a lease taken over), until the job is done. The tenant (sandbox) and the stored state (Azurite) must
 * then equal a clean run's, and the sandbox's per-object write counters must show no write sent twice.
 *
 * Kill points are places in the run, not moments: "as the k-th Graph request is sent", "once the k-th storage write
 * was answered". A clean run counts the calls of each kind; the kill points are drawn from the seed, spread evenly over
 * those counts. Each child after a kill starts with its clock later than the last (Date only; timers and the storage
 * and Graph servers keep real time), as a host restarted that much later would: the leases the dead process held
 * lapse at their production length, so no test waits for one or shortens it, and recovery that production leaves to
 * a later hour (a sweep of stuck work) runs on a host whose clock has reached that hour.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';

import { seededRandom } from '../../local/sandbox/faults';
import { setServices } from '../../shared/runtime/services';
import type { AppStack } from '../helpers/appStack';
import { eventually } from '../helpers/host';
import type { CallCounts, ChildMessage, KillPhase, KillPoint, KillTarget, ParentMessage } from './killChild';
import { SEED } from './scale';

const ROOT = path.resolve(__dirname, '../..');
const CHILD = path.join(ROOT, 'dist/test/resilience/killChild.js');
/** Generous guards: a child that never gets ready, or a job that never finishes, fails the test instead of hanging. */
const READY_GUARD_MS = 180_000;
const DONE_GUARD_MS = 120_000;
const EXIT_GUARD_MS = 15_000;

/** Builds the child once if `dist/` is missing or older than this run (npm test builds first; vitest alone may not). */
export function ensureChildBuilt(): void {
  if (existsSync(CHILD)) return;
  const built = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (built.status !== 0 || !existsSync(CHILD)) throw new Error('npm run build did not produce the kill child');
}

export interface ChildHost {
  readonly url: string;
  /** Resolves with the signal (or exit code) the child ended with. */
  readonly exited: Promise<NodeJS.Signals | number | null>;
  readonly killed: () => boolean;
  counts(): Promise<CallCounts>;
  /** Runs a non-HTTP function now (timer, queue, blob) through the host's admin API. */
  invoke(functionName: string, input?: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartChildOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly killAt?: KillPoint;
  /** Minutes the child's Date runs ahead of real time. */
  readonly clockMinutes: number;
}

/** The child's URL once it listens; `undefined` when it died first (a kill point in its start-up). */
function readyUrl(child: ChildProcess, exited: Promise<unknown>): Promise<string | undefined> {
  return new Promise<string | undefined>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('the kill child did not start in time')), READY_GUARD_MS);
    child.on('message', (m: ChildMessage) => {
      if (m.type !== 'ready') return;
      clearTimeout(guard);
      resolve(m.url);
    });
    void exited.then(() => {
      clearTimeout(guard);
      resolve(undefined);
    });
  });
}

/** Starts a child host; resolves once it listens, or with `undefined` when the kill point fell in its start-up. */
export async function startChild(options: StartChildOptions): Promise<ChildHost | undefined> {
  ensureChildBuilt();
  const child: ChildProcess = fork(CHILD, [], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...options.env,
      LOG_LEVEL: 'silent',
      KILL_CLOCK_OFFSET_MS: String(options.clockMinutes * 60_000),
      ...(options.killAt ? { KILL_AT: JSON.stringify(options.killAt) } : {}),
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  children.add(child);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve(signal ?? code);
    }),
  );
  const url = await readyUrl(child, exited);
  if (url === undefined) return undefined;
  return {
    url,
    exited,
    killed: () => child.signalCode === 'SIGKILL',
    counts: () =>
      new Promise<CallCounts>((resolve, reject) => {
        const onMessage = (m: ChildMessage) => {
          if (m.type !== 'counts') return;
          child.off('message', onMessage);
          resolve(m.counts);
        };
        const gone = () => {
          child.off('message', onMessage);
          reject(new Error('the kill child is gone'));
        };
        child.on('message', onMessage);
        // A child that dies before answering (its kill point came after the job looked done) rejects, never hangs.
        void exited.then(gone);
        child.send({ type: 'counts' } satisfies ParentMessage, (error) => error && gone());
      }),
    invoke: async (functionName, input) => {
      const res = await fetch(`${url}/admin/functions/${functionName}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input === undefined ? {} : { input }),
      });
      if (res.status !== 202) throw new Error(`admin ${functionName}: ${res.status} ${await res.text()}`);
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Ignores a channel closed by a kill point the child reaches while it stops: `exited` tells.
      child.send({ type: 'stop' } satisfies ParentMessage, () => undefined);
      await exited;
    },
  };
}

const children = new Set<ChildProcess>();
/** For afterAll: no child outlives its test file. */
export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
}

/** Deletes every table, container and queue, so each run starts from empty storage. */
export async function wipeStorage(connectionString: string): Promise<void> {
  const tables = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true });
  const blobs = BlobServiceClient.fromConnectionString(connectionString);
  const queues = QueueServiceClient.fromConnectionString(connectionString);
  for await (const t of tables.listTables()) if (t.name) await tables.deleteTable(t.name);
  for await (const c of blobs.listContainers()) await blobs.deleteContainer(c.name);
  for await (const q of queues.listQueues()) await queues.deleteQueue(q.name);
  // The parent's cached clients remember tables and queues they created; they are gone now.
  setServices(undefined);
}

export interface SandboxCounters {
  readonly calls: number;
  readonly writes: Record<string, number>;
}

export async function sandboxCounters(stack: AppStack): Promise<SandboxCounters> {
  const stats = (await (await fetch(`${stack.sandbox.url}/_sandbox/stats`)).json()) as {
    requests: number;
    subRequests: number;
  };
  const writes = (await (await fetch(`${stack.sandbox.url}/_sandbox/stats/writes`)).json()) as Record<string, number>;
  return { calls: stats.requests + stats.subRequests, writes };
}

/** Writes sent more often than in the clean run, per object/member and method (a write sent twice counts once). */
export function duplicateWrites(clean: Record<string, number>, killed: Record<string, number>): string[] {
  return Object.entries(killed).flatMap(([key, n]) => Array.from({ length: Math.max(0, n - (clean[key] ?? 0)) }, () => key));
}

function hash(text: string): number {
  let h = 2166136261;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

/**
 * `count` kill points spread over the job's calls: the targets take turns, and the j-th point of a target lands in
 * the j-th of equal slices of that target's calls (after `from`, the calls the child made while starting), at a
 * seeded place inside the slice and with a seeded phase.
 */
export function chooseKillPoints(
  suite: string,
  count: number,
  targets: readonly KillTarget[],
  from: CallCounts,
  to: CallCounts,
): KillPoint[] {
  const random = seededRandom(SEED ^ hash(suite));
  const usable = targets.filter((t) => to[t] > from[t]);
  if (usable.length === 0) throw new Error(`${suite}: the clean run made no ${targets.join('/')} calls to kill at`);
  const per = new Map<KillTarget, number>(usable.map((t) => [t, 0]));
  const points: KillPoint[] = [];
  for (let i = 0; i < count; i++) {
    const target = usable[i % usable.length] as KillTarget;
    const slices = Math.ceil((count - (i % usable.length)) / usable.length);
    const j = per.get(target) ?? 0;
    per.set(target, j + 1);
    const span = to[target] - from[target];
    const k = from[target] + 1 + Math.min(span - 1, Math.floor(((j + random()) / slices) * span));
    const phase: KillPhase = random() < 0.5 ? 'before' : 'after';
    points.push({ target, k, phase });
  }
  return points;
}

/** One step of what production does after a crash, on a new host whose clock is `clockMinutes` past the job's start. */
export interface RecoveryStep {
  readonly clockMinutes: number;
  /** What fires on that host besides the triggers that fire by themselves (queue redelivery, blob rescans). */
  run(child: ChildHost, stack: AppStack): Promise<void>;
  /** True once this host has done all it will do (the job may still be unfinished, for a later step). */
  settled(stack: AppStack): Promise<boolean>;
}

/** One job as the suite drives it; `S` is what must equal the clean run's (tenant and stored state, normalised). */
export interface KillScenario<S> {
  readonly name: string;
  readonly targets: readonly KillTarget[];
  /** App settings for every child on top of the stack's. */
  readonly env?: Readonly<Record<string, string>>;
  /** The functions the job needs on the child host (their module names under functions/). */
  readonly functions: readonly string[];
  /** Minutes the first host's clock runs ahead (default 20: timers see a due job; leases taken then are live). */
  readonly startClockMinutes?: number;
  /** From an empty store and a reset tenant: what exists before the job runs (jobs, uploads, approvals). */
  setup(stack: AppStack): Promise<void>;
  /** Starts the job on a fresh host (the first child). */
  start(child: ChildHost, stack: AppStack): Promise<void>;
  /** After a kill, in order, until done: each later step is a host started later still. */
  readonly recovery: readonly RecoveryStep[];
  /** True once the job has finished (read from storage or the tenant, never from the child). */
  done(stack: AppStack): Promise<boolean>;
  snapshot(stack: AppStack): Promise<S>;
  /** The rows, members or tickets the snapshot holds, to count lost and extra ones against the clean run. */
  items(snapshot: S): string[];
  /**
   * Writes whose repetition is a known, reported gap rather than a failure (an idempotent write a re-run sends again):
   * counted under `knownGaps.resent`, not asserted.
   */
  resendTolerated?(writeKey: string): boolean;
  /**
   * Names the end a killed run reached when it is one the job reports to an operator rather than repairs (an action
   * whose outcome the crash made unknown): such a run is still checked for writes sent twice, then counted under that
   * name instead of compared with the clean run.
   */
  reportedEnd?(killed: S): string | undefined;
  /** Figures of a known gap that is reported rather than asserted (summed over the killed runs). */
  gaps?(clean: S, killed: S): Record<string, number>;
}

export interface RunResult<S> {
  readonly snapshot: S;
  readonly counters: SandboxCounters;
  /** Children started until the job was done (1 for a clean run). */
  readonly children: number;
  readonly killed: boolean;
}

/** The child's call counts, or `undefined` when it was SIGKILLed before answering (any other death throws). */
async function countsUnlessKilled(child: ChildHost): Promise<CallCounts | undefined> {
  try {
    return await child.counts();
  } catch (error) {
    await child.exited;
    if (child.killed()) return undefined;
    throw error;
  }
}

/** Resets tenant, storage and stand-ins, then runs the job (killed at `killAt`) and re-runs it until done. */
export async function runJob<S>(
  scenario: KillScenario<S>,
  stack: AppStack,
  env: Readonly<Record<string, string>>,
  killAt?: KillPoint,
  onCounts?: (startup: CallCounts, total: CallCounts) => void,
): Promise<RunResult<S>> {
  await fetch(`${stack.sandbox.url}/_sandbox/reset`, { method: 'POST' });
  await wipeStorage(stack.azurite.connectionString);
  await scenario.setup(stack);
  // Only the job's own Graph writes are compared with the clean run's.
  await fetch(`${stack.sandbox.url}/_sandbox/stats/reset`, { method: 'POST' });
  const childEnv = { ...env, ...scenario.env, KILL_FUNCTIONS: scenario.functions.join(',') };
  const first = await startChild({ env: childEnv, killAt, clockMinutes: scenario.startClockMinutes ?? 20 });
  let killed = first === undefined;
  if (first) {
    const startup = await first.counts();
    // A call the kill cut off fails before the child's exit is seen: wait (bounded) for the exit before deciding.
    await scenario.start(first, stack).catch(async (error: unknown) => {
      await eventually('the child cut off mid-call to exit', () => first.killed(), EXIT_GUARD_MS).catch(() => {
        throw error;
      });
    });
    const outcome = await eventually(
      `${scenario.name}: the job to finish or the child to be killed`,
      async () => (first.killed() ? 'killed' : (await scenario.done(stack)) ? 'done' : undefined),
      DONE_GUARD_MS,
    );
    killed = outcome === 'killed';
    if (!killed) {
      // The job can look done while the child still has writes to make (a schedule update after the run record):
      // a kill point among them kills the child here, and it counts as killed like any other.
      const total = await countsUnlessKilled(first);
      if (total) onCounts?.(startup, total);
      await first.stop();
      killed = first.killed();
    }
  }
  let children = 1;
  // Even a job that looks done gets the next host: what the dead one left (a message, a lapsed lease) runs there.
  for (const step of killed ? scenario.recovery : []) {
    children++;
    const next = await startChild({ env: childEnv, clockMinutes: step.clockMinutes });
    if (!next) throw new Error(`${scenario.name}: a recovery child died without a kill point`);
    await step.run(next, stack);
    await eventually(
      `${scenario.name}: recovery at +${step.clockMinutes} min to settle`,
      () => step.settled(stack),
      DONE_GUARD_MS,
    );
    await next.stop();
    if (await scenario.done(stack)) break;
  }
  if (!(await scenario.done(stack))) throw new Error(`${scenario.name}: not done after every recovery step`);
  return { snapshot: await scenario.snapshot(stack), counters: await sandboxCounters(stack), children, killed };
}
