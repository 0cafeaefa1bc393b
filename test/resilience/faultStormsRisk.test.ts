import { afterAll, beforeAll, expect, it } from 'vitest';

import { type AzuriteInstance, startAzurite } from '../../local/azurite';
import { type GraphSandbox, startGraphSandbox } from '../../local/sandbox';
import { loadConfig } from '../../shared/config';
import { createLogger } from '../../shared/log';
import { pollRisk, type PollSummary } from '../../shared/risk/poll';
import { riskDeps } from '../../shared/runtime/risk';
import { buildServices } from '../../shared/runtime/services';
import { TableTicketRepository } from '../../shared/storage/riskTickets';
import { FULL, recordFigures, scaled } from './scale';
import { injectedFaults, measured, QUIET_KNOBS, type RunMeasure, setKnobs, STORM_RATES, stormFigures, stormKnobs } from './storm';

/**
 * The risk poller (Identity Protection, sign-in logs, roles → tickets) under fault storms on the demo tenant: polled
 * as the timer would until a poll ends without errors, it opens the same tickets (user, reason, kind, state, one per
 * episode) as the fault-free poll, in its own fresh storage, and a following fault-free poll opens nothing more.
 * The gateway's pacing is scaled to the sandbox's 200× time so the 1 request/s budget of Identity Protection holds.
 */
const SCALE = 200;
const MAX_POLLS = scaled(8, 12);
let sandbox: GraphSandbox;
beforeAll(async () => {
  sandbox = await startGraphSandbox({ knobs: { ...QUIET_KNOBS, timeScale: SCALE } });
});
afterAll(async () => sandbox.close());

interface Outcome {
  readonly tickets: string[];
  readonly polls: PollSummary[];
  readonly measure: RunMeasure;
  readonly faults: Record<string, number>;
  readonly after: PollSummary;
}

/** Polls into a fresh Azurite until a poll has no errors, then once more without faults. */
async function pollToQuiet(knobs: Parameters<typeof setKnobs>[1]): Promise<Outcome> {
  const azurite: AzuriteInstance = await startAzurite({ inMemory: true });
  try {
    const services = buildServices(
      loadConfig({
        AzureWebJobsStorage: azurite.connectionString,
        GRAPH_BASE_URL: sandbox.url,
        GRAPH_AUTH: 'static',
        GRAPH_STATIC_TOKEN: 'storm-risk',
        GRAPH_MAX_BACKOFF_MS: '100',
        GRAPH_PACING_TIME_SCALE: String(SCALE),
        LOG_LEVEL: 'silent',
      }),
    );
    const deps = riskDeps(services, createLogger('silent'));
    await setKnobs(sandbox.url, { ...knobs, timeScale: SCALE });
    const { result: polls, measure } = await measured(sandbox.url, async () => {
      const out: PollSummary[] = [];
      while (out.length < MAX_POLLS && (out.length === 0 || (out.at(-1)?.errors.length ?? 0) > 0)) out.push(await pollRisk(deps));
      return out;
    });
    const faults = await injectedFaults(sandbox.url);
    await setKnobs(sandbox.url, { ...QUIET_KNOBS, timeScale: SCALE });
    const after = await pollRisk(deps);
    const tickets = (await new TableTicketRepository(services.storage).list({})).map(
      (t) => `${t.userId} ${t.reason} ${t.kind} ${t.state} ${t.provider.status}`,
    );
    return { tickets: tickets.sort(), polls, measure, faults, after };
  } finally {
    await azurite.stop();
  }
}

let reference: Promise<Outcome> | undefined;

it.each(STORM_RATES.map((rate) => [rate]))(
  'opens the same tickets under a %s fault storm as without faults, none twice',
  async (rate) => {
    const quiet = await (reference ??= pollToQuiet(QUIET_KNOBS));
    expect(quiet.polls).toHaveLength(1);
    expect(quiet.tickets.length).toBeGreaterThan(3);

    const storm = await pollToQuiet(stormKnobs(rate));
    expect(storm.polls.at(-1)?.errors).toEqual([]);
    expect(storm.tickets).toEqual(quiet.tickets);
    expect(new Set(storm.tickets.map((t) => t.split(' ')[0])).size).toBe(storm.tickets.length);
    for (const o of [quiet, storm]) expect(o.after).toMatchObject({ opened: 0, errors: [] });
    const opened = storm.polls.reduce((n, p) => n + p.opened, 0);
    expect(opened).toBe(quiet.polls[0]?.opened);

    recordFigures(`faultStorms-risk-${Math.round(rate * 100)}`, {
      job: 'risk poller → tickets (demo tenant)',
      tickets: storm.tickets.length,
      rate,
      full: FULL,
      ...stormFigures(quiet.measure, storm.measure, storm.faults, {
        polls: storm.polls.length,
        failedUsers: storm.polls.reduce((n, p) => n + p.errors.length, 0),
        opened,
      }),
    });
  },
  scaled(300_000, 1_800_000),
);
