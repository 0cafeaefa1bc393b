import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { allFunctions } from '../../functions/catalog';
import { DEMO_USERS } from '../../local/tenants/demoIds';
import { type Stack, startStack } from '../helpers/stack';
import { answerProblems, fuzz, FUZZ_STACK, headerText, hostileText, ROUTE_RUNS, send, type Sent, Tally } from './fuzzKit';
import { recordFigures } from './scale';

/**
 * Every HTTP route of functions/catalog.ts, read from the catalog itself so a route added later is fuzzed without
 * touching this file: generated path parameters (ids that exist, ids that do not, hostile text), query strings
 * (the parameters the routes read and random ones), bodies (JSON near the routes' schemas, random JSON, broken JSON,
 * wrong content types, binary, oversized) and headers, sent to the local host the way `npm start` runs it. Every
 * answer must be below 500 and every refusal a 4xx in the `{error:{code,message,details}}` model, within a bounded wait.
 */
interface Route {
  readonly name: string;
  readonly template: string;
  readonly methods: readonly string[];
}

const routes: Route[] = allFunctions.flatMap((def) =>
  def.kind === 'http'
    ? [{ name: def.name, template: def.options.route ?? def.name, methods: (def.options.methods ?? ['GET', 'POST']).map(String) }]
    : [],
);

/** Path parameter names of a route template: `{id}`, `{id?}`, `{id:guid}`, `{*rest}`. */
const paramsOf = (template: string) =>
  [...template.matchAll(/\{(\*?)([A-Za-z0-9_]+)(?::[^}?]+)?\??\}/g)].map((m) => ({ name: m[2] ?? '', catchAll: m[1] === '*' }));

/** Query parameters the routes read, so generated queries reach validation past "unknown parameter". */
const QUERY_KEYS = [
  'dryRun',
  'name',
  'list',
  'userId',
  'state',
  'kind',
  'user',
  'against',
  'top',
  'limit',
  'cursor',
  'continuationToken',
  'status',
  'since',
  'from',
  'to',
  'code',
  'page',
  'pageSize',
  'filter',
  'search',
  'policyId',
  'backupId',
  '$top',
];
/** Body fields the routes' schemas know, so generated bodies get past "unknown field" into deeper validation. */
const BODY_KEYS = [
  'name',
  'target',
  'sources',
  'exclude',
  'group',
  'transitive',
  'mode',
  'memberTypes',
  'userType',
  'includeDisabled',
  'protected',
  'limits',
  'schedule',
  'enabled',
  'userId',
  'action',
  'reason',
  'backupId',
  'policyIds',
  'policyId',
  'durationHours',
  'days',
  'expiresAt',
  'isUsableOnce',
  'lifetimeInMinutes',
  'startDateTime',
  'ticketId',
  'approvedBy',
  'dryRun',
  'reportOnly',
  'groupIds',
  'words',
  'user',
  'users',
  'note',
];

const stackRef: { current?: Stack } = {};
const known: Record<string, string[]> = {
  user: [DEMO_USERS.salesManager.id, DEMO_USERS.smsReady.userPrincipalName, 'nobody@example.com'],
  provider: ['servicenow', 'jira', 'webhook', 'builtin'],
};
const tally = new Tally();

const scalar = fc.oneof(
  hostileText(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.uuid(),
  fc.constantFrom(DEMO_USERS.salesManager.id, 'true', 'false', '-1', '1e309', 'P1D', '0 */5 * * * *'),
);
const nearSchema = fc.letrec<{ value: unknown; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 4 }), tie('object')),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...BODY_KEYS), fc.string({ maxLength: 8 })), tie('value'), { maxKeys: 6 }),
})).object;

const json = (value: unknown, type = 'application/json') => ({ type, body: JSON.stringify(value) });
const OVERSIZED = 1024 * 1024 + 17;
const bodyArb: fc.Arbitrary<{ type?: string; body?: string | Uint8Array }> = fc.oneof(
  fc.constant({}),
  nearSchema.map((v) => json(v)),
  fc.jsonValue().map((v) => json(v)),
  fc.string({ maxLength: 200 }).map((s) => ({ type: 'application/json', body: s })),
  fc
    .tuple(
      nearSchema,
      fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data', 'application/x-www-form-urlencoded'),
    )
    .map(([v, type]) => json(v, type)),
  fc.uint8Array({ maxLength: 300 }).map((b) => ({ type: 'application/octet-stream', body: b })),
  fc.string({ maxLength: 300 }).map((s) => ({ type: 'text/csv', body: `UserName,PhoneNumber\n${s}` })),
  fc.constantFrom('application/json', 'text/csv').map((type) => ({ type, body: `{"a":"${'x'.repeat(OVERSIZED)}"}` })),
);
const headerArb = fc.record(
  {
    authorization: fc.oneof(
      headerText().map((t) => `Bearer ${t}`),
      fc.constant('Bearer eyJhbGciOiJub25lIn0.e30.'),
    ),
    'x-ms-client-principal': fc.oneof(fc.base64String({ maxLength: 60 }), headerText()),
    'webhook-signature': headerText(),
    'x-functions-key': headerText(),
  },
  { requiredKeys: [] },
);

function paramArb(name: string, catchAll: boolean): fc.Arbitrary<string> {
  const one = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...(known[name] ?? ['x'])) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 3, arbitrary: hostileText().map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '..', '%2F', '%00', 'a%2Fb') },
  );
  return catchAll ? fc.array(one, { minLength: 0, maxLength: 4 }).map((parts) => parts.join('/')) : one;
}

function requestArb(route: Route): fc.Arbitrary<Sent> {
  const params = paramsOf(route.template);
  const method = fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom(...route.methods) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS') },
  );
  const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), hostileText(10)), hostileText()), { maxLength: 4 });
  return fc
    .record({
      method,
      values: fc.tuple(...params.map((p) => paramArb(p.name, p.catchAll))),
      query,
      body: bodyArb,
      headers: headerArb,
    })
    .map(({ method: m, values, query: q, body, headers }) => {
      let path = route.template;
      params.forEach((_param, i) => {
        path = path.replace(/\{[^}]+\}/, values[i] ?? '');
      });
      const search = q.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
      const withBody = m !== 'GET' && m !== 'HEAD' && body.body !== undefined;
      return {
        method: m,
        url: `${stackRef.current?.apiUrl ?? ''}/api/${path}${search ? `?${search}` : ''}`,
        headers: { ...headers, ...(withBody && body.type ? { 'content-type': body.type } : {}) },
        ...(withBody ? { body: body.body } : {}),
      };
    });
}

/** Ids that exist, so generated requests also reach the handlers past "not found". */
async function seedKnownIds(apiUrl: string): Promise<void> {
  const post = async (path: string, body: string, type = 'application/json') =>
    JSON.parse(
      (await send({ method: 'POST', url: `${apiUrl}/api/${path}`, headers: { 'content-type': type }, body })).text,
    ) as Record<string, unknown>;
  const job = await post('sync/jobs', JSON.stringify({ name: 'fuzz', target: 'Group2Name', sources: [{ group: 'Group1Name' }] }));
  const run = await post(`sync/jobs/${String(job.jobId)}/run?dryRun=true`, '');
  const imp = await post(
    'phone-imports?dryRun=true&name=fuzz.csv',
    `UserName,PhoneNumber\n${DEMO_USERS.smsReady.userPrincipalName},+1 425 555 0100\n`,
    'text/csv',
  );
  const backup = await post('ca/backups', '{}');
  known.jobId = [String(job.jobId)];
  known.runId = [String(run.runId)];
  known.importId = [String(imp.importId)];
  known.backupId = [String(backup.backupId)];
}

beforeAll(async () => {
  stackRef.current = await startStack(FUZZ_STACK);
  await seedKnownIds(stackRef.current.apiUrl);
});
afterAll(async () => {
  await stackRef.current?.stop();
  recordFigures('fuzz-routes', {
    runsPerRoute: ROUTE_RUNS,
    routes: routes.length,
    ...tally.totals(),
    byRoute: Object.fromEntries(tally.byKind),
  });
});

// Routes run five at a time (vitest's maxConcurrency): cases within a route stay in order, so a replay with -t of
// one route regenerates the same requests.
describe.concurrent('route fuzzing (every catalog route on the local host)', () => {
  it('covers the whole catalog', () => {
    expect(routes.length).toBeGreaterThanOrEqual(40);
  });

  it.each(routes.map((r) => [`${r.methods.join(',')} /api/${r.template} (${r.name})`, r] as const))(
    '%s: no 5xx, no hang, every refusal in the error model',
    async (_label, route) => {
      await fuzz(
        __filename,
        route.name,
        fc.asyncProperty(requestArb(route), async (request) => {
          const reply = await send(request);
          tally.count(route.name, reply.status);
          expect(answerProblems(reply), `${request.method} ${request.url}`).toEqual([]);
        }),
        ROUTE_RUNS,
      );
    },
    1_200_000,
  );
});
