import { expect, it } from 'vitest';

import type { TenantFile } from '../../local/sandbox';
import type { ProcessChunkResult } from '../../shared/phones/processChunk';
import { parseResults, usePhoneHarness } from '../phones/harness';
import { tenant, user, userId } from '../sandbox/helpers';
import { FULL, recordFigures, scaled } from './scale';
import {
  injectedFaults,
  measured,
  QUIET_KNOBS,
  setKnobs,
  STORM_APP_SETTINGS,
  STORM_RATES,
  stormFigures,
  stormKnobs,
} from './storm';

/**
 * Phone import under fault storms: the same CSV (new numbers, numbers that replace an existing one, a number already
 * in place, unknown users, invalid numbers) imported fault-free and under a storm on every Graph call leaves the same
 * phone methods in the tenant and the same results file. Chunks a storm defers come back as new queue messages and
 * are drained like the queue trigger would (here without the backoff delay).
 */
const ROWS = scaled(30, 600);
const h = usePhoneHarness(QUIET_KNOBS, STORM_APP_SETTINGS);

/** Users 1..ROWS; every 5th already has another mobile number, every 11th already has the number the CSV gives. */
function phoneTenant(): TenantFile {
  const phoneMethods: Record<string, { id: string; phoneNumber: string; phoneType: 'mobile' }[]> = {};
  for (let n = 5; n <= ROWS; n += 5)
    phoneMethods[userId(n)] = [{ id: '3179e48a-750b-4051-897c-87b9720928f7', phoneNumber: '+1 4255550000', phoneType: 'mobile' }];
  for (let n = 11; n <= ROWS; n += 11)
    phoneMethods[userId(n)] = [{ id: '3179e48a-750b-4051-897c-87b9720928f7', phoneNumber: numberOf(n), phoneType: 'mobile' }];
  const base = tenant({ users: 0 });
  return { ...base, users: Array.from({ length: ROWS }, (_, i) => user(i + 1)), phoneMethods };
}

function numberOf(n: number): string {
  return `+1 425555${String(10_000 + n).slice(1)}`;
}

function csv(): string {
  const rows = Array.from({ length: ROWS }, (_, i) => `user${i + 1}@contoso.test,${numberOf(i + 1)}`);
  rows.push('ghost1@contoso.test,+1 206 555 0101', 'user1@contoso.test,not-a-number', 'ghost2@contoso.test,+1 206 555 0102');
  return `UserName,PhoneNumber\n${rows.join('\n')}\n`;
}

interface Outcome {
  readonly statuses: string[][];
  readonly phoneMethods: unknown;
  readonly chunks: ProcessChunkResult[];
}

async function importOnce(file: string): Promise<Outcome> {
  const { sandbox } = h.current;
  const res = await fetch(`${sandbox.url}/_sandbox/tenant`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(phoneTenant()),
  });
  expect(res.status).toBe(204);
  await h.current.upload(`incoming/${file}`, csv());
  const started = await h.current.run({ path: `incoming/${file}`, file });
  expect(started.outcome).toBe('started');
  const chunks = await h.current.drain({}, (deps) => ({ ...deps, retryDelaySeconds: () => 0 }));
  const results = await h.current.output(`results/${file.replace(/\.csv$/, '.results.csv')}`);
  const statuses = parseResults(results ?? '').map((r) => [r.line ?? '', r.status ?? '', r.reason ?? '']);
  const snapshot = (await (await fetch(`${sandbox.url}/_sandbox/tenant`)).json()) as { phoneMethods?: unknown };
  return { statuses, phoneMethods: snapshot.phoneMethods, chunks };
}

let reference: Promise<{ outcome: Outcome; measure: Awaited<ReturnType<typeof measured>>['measure'] }> | undefined;
async function faultFree() {
  reference ??= (async () => {
    await setKnobs(h.current.sandbox.url, QUIET_KNOBS);
    const { result, measure } = await measured(h.current.sandbox.url, () => importOnce('quiet.csv'));
    return { outcome: result, measure };
  })();
  return reference;
}

it.each(STORM_RATES.map((rate) => [rate]))(
  'imports the same phone methods and results under a %s fault storm as without faults',
  async (rate) => {
    const quiet = await faultFree();
    const statuses = quiet.outcome.statuses.map((s) => s[1]);
    expect(statuses.filter((s) => s === 'failed')).toHaveLength(3);
    expect(statuses.filter((s) => s === 'created').length).toBeGreaterThan(ROWS / 2);

    await setKnobs(h.current.sandbox.url, stormKnobs(rate));
    const file = `storm${Math.round(rate * 100)}.csv`;
    const { result: storm, measure } = await measured(h.current.sandbox.url, () => importOnce(file));
    const faults = await injectedFaults(h.current.sandbox.url);
    await setKnobs(h.current.sandbox.url, QUIET_KNOBS);

    expect(storm.phoneMethods).toEqual(quiet.outcome.phoneMethods);
    expect(storm.statuses).toEqual(quiet.outcome.statuses);
    expect(Object.values(faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    recordFigures(`faultStorms-phones-${Math.round(rate * 100)}`, {
      job: 'phone import',
      rows: ROWS + 3,
      rate,
      full: FULL,
      ...stormFigures(quiet.measure, measure, faults, {
        chunkMessages: storm.chunks.length,
        deferredChunks: storm.chunks.filter((c) => c === 'deferred').length,
      }),
    });
  },
  scaled(300_000, 1_800_000),
);
