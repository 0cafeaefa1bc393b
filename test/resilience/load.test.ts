import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEMO_USERS } from '../../local/tenants/demoIds';
import { type Stack, startStack } from '../helpers/stack';
import { FUZZ_STACK, send } from './fuzzKit';
import { recordFigures, scaled } from './scale';

/**
 * The local host under concurrent HTTP load on loopback (autocannon), on its read routes and its write routes.
 * Each route gets a bounded number of requests over a bounded number of connections at a stated rate; the test
 * checks counts only: every request answered, 0 errors and timeouts, every status the expected one. Latency
 * percentiles are recorded as figures, not asserted (they depend on the machine).
 */
const AMOUNT = scaled(40, 1_000);
const IMPORTS = scaled(15, 200);
const CONNECTIONS = scaled(4, 10);
/** Requests per second across all connections. */
const RATE = scaled(100, 200);

const stackRef: { current?: Stack } = {};
const figures: Record<string, unknown> = {};
const ids: { jobId?: string } = {};

beforeAll(async () => {
  stackRef.current = await startStack(FUZZ_STACK);
  const created = await send({
    method: 'POST',
    url: `${stackRef.current.apiUrl}/api/sync/jobs`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'load', target: 'Group2Name', sources: [{ group: 'Group1Name' }] }),
  });
  ids.jobId = (JSON.parse(created.text) as { jobId: string }).jobId;
});
afterAll(async () => {
  await stackRef.current?.stop();
  recordFigures('load', {
    amountPerRoute: AMOUNT,
    phoneImports: IMPORTS,
    connections: CONNECTIONS,
    ratePerSecond: RATE,
    routes: figures,
  });
});

interface LoadCase {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly path: () => string;
  /** Expected count per status over the AMOUNT requests. */
  readonly statuses: Record<number, number>;
  /**
   * A status some requests may get instead, with at least one success: a job runs once at a time, so a dry run asked
   * while another run of the same job holds its lease is refused with 409 by design.
   */
  readonly busy?: number;
  readonly body?: (n: number) => { type: string; text: string };
  /** Fewer requests where each one is a whole job (an import through the blob pipeline). */
  readonly amount?: number;
}

const csv = (n: number) => ({
  type: 'text/csv',
  // A distinct file each time, so each request is a new import rather than a duplicate of the first.
  text: `UserName,PhoneNumber\n${DEMO_USERS.smsReady.userPrincipalName},+1 425 555 0100\n# load ${n}\n`,
});
const CASES: LoadCase[] = [
  { name: 'health', method: 'GET', path: () => 'health', statuses: { 200: AMOUNT } },
  { name: 'job list', method: 'GET', path: () => 'sync/jobs', statuses: { 200: AMOUNT } },
  { name: 'run list', method: 'GET', path: () => `sync/jobs/${ids.jobId ?? ''}/runs`, statuses: { 200: AMOUNT } },
  { name: 'tickets', method: 'GET', path: () => 'tickets', statuses: { 200: AMOUNT } },
  { name: 'imports', method: 'GET', path: () => 'phone-imports', statuses: { 200: AMOUNT } },
  {
    name: 'create job',
    method: 'POST',
    path: () => 'sync/jobs',
    // One job per target: concurrent creates for one target give exactly one job and a 409 for every other request.
    statuses: { 201: 1, 409: AMOUNT - 1 },
    body: (n) => ({
      type: 'application/json',
      text: JSON.stringify({ name: `load ${n}`, target: `Region - EMEA`, sources: [{ group: 'Group1Name' }], enabled: false }),
    }),
  },
  {
    name: 'dry run',
    method: 'POST',
    path: () => `sync/jobs/${ids.jobId ?? ''}/run?dryRun=true`,
    statuses: { 200: AMOUNT },
    busy: 409,
  },
  {
    name: 'phone import dry run',
    method: 'POST',
    path: () => 'phone-imports?dryRun=true',
    statuses: { 202: IMPORTS },
    body: csv,
    amount: IMPORTS,
  },
];

async function hammer(c: LoadCase): Promise<autocannon.Result> {
  let n = 0;
  return autocannon({
    url: `${stackRef.current?.apiUrl ?? ''}/api/${c.path()}`,
    method: c.method,
    connections: CONNECTIONS,
    amount: c.amount ?? AMOUNT,
    overallRate: RATE,
    timeout: 30,
    ...(c.body
      ? {
          requests: [
            {
              setupRequest: (req) => {
                const body = c.body?.(n++);
                return { ...req, headers: { ...req.headers, 'content-type': body?.type ?? '' }, body: body?.text ?? '' };
              },
            },
          ],
        }
      : {}),
  });
}

describe('load on the local host (loopback)', () => {
  it.each(CASES.map((c) => [`${c.method} ${c.name}`, c] as const))(
    '%s: every request answered as expected',
    async (_label, c) => {
      const statuses: Record<number, number> = {};
      const result = await hammer(c);
      for (const [code, count] of Object.entries(result.statusCodeStats ?? {})) statuses[Number(code)] = count.count ?? 0;
      figures[c.name] = {
        requests: result.requests.total,
        errors: result.errors,
        timeouts: result.timeouts,
        statuses,
        latencyMs: { p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99, max: result.latency.max },
        requestsPerSecond: result.requests.average,
      };
      expect({ errors: result.errors, timeouts: result.timeouts, answered: result.requests.total }).toEqual({
        errors: 0,
        timeouts: 0,
        answered: c.amount ?? AMOUNT,
      });
      if (c.busy === undefined) {
        expect(statuses).toEqual(c.statuses);
      } else {
        const [ok] = Object.keys(c.statuses).map(Number);
        expect(
          Object.keys(statuses)
            .map(Number)
            .filter((s) => s !== ok && s !== c.busy),
        ).toEqual([]);
        expect(statuses[ok ?? 0]).toBeGreaterThanOrEqual(1);
      }
    },
    600_000,
  );
});
