import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { type ServiceNowStandIn, startServiceNowStandIn } from '../../local/stand-ins/servicenow';
import { type TicketDraft, TicketProviderError } from '../../shared/ticketing/port';
import { correlationIdFor, type ServiceNowOptions, ServiceNowProvider } from '../../shared/ticketing/servicenow';
import { control, failure, requestCount } from './standIns';

const USER = 'entra.ops';
const PASSWORD = 'S3rvice-N0w-pass!';
const CLIENT = { clientId: 'entra-ops-client', clientSecret: 'client-secret-value' };

const draft = (key: string): TicketDraft => ({
  key,
  category: 'risk',
  title: 'At-risk member: Adele Vance (high)',
  severity: 'high',
  sections: [
    { heading: 'What happened', lines: ['Leaked credentials detected 2026-12-01 09:12 UTC'] },
    { heading: 'What to do next', lines: ['Reset the password', 'Or dismiss the risk if it is a false positive'] },
  ],
  facts: { userId: '1f0d1e5e-5c58-4b8c-9e77-3c1f4f7f2a11', riskLevel: 'high' },
});

describe('ServiceNow provider against the Table API stand-in', () => {
  let sn: ServiceNowStandIn;
  let clock = Date.now();
  const now = () => clock;

  beforeAll(async () => {
    sn = await startServiceNowStandIn({
      username: USER,
      password: PASSWORD,
      oauth: { ...CLIENT, tokenLifetimeSeconds: 600 },
      now,
    });
  });
  afterAll(() => sn.close());
  afterEach(async () => {
    await control(sn.url, 'POST', '/_standin/reset');
    await control(sn.url, 'DELETE', '/_standin/faults');
    await control(sn.url, 'DELETE', '/_standin/stats');
  });

  const provider = (overrides: Partial<ServiceNowOptions> = {}) =>
    new ServiceNowProvider({
      instanceUrl: sn.url,
      auth: { kind: 'basic', username: USER, password: PASSWORD },
      closeCode: 'Solution provided',
      category: 'security',
      timeoutMs: 2_000,
      now,
      ...overrides,
    });

  it('opens an incident with correlation_id, urgency and impact, and returns its number and link', async () => {
    const ref = await provider().open(draft('risk:t1:u1:2026-12-01T09:12:00Z'));
    expect(ref).toMatchObject({ provider: 'servicenow', displayId: 'INC0010001' });
    expect(ref.url).toContain(encodeURIComponent(`incident.do?sys_id=${ref.externalId}`));
    const [incident] = sn.incidents();
    expect(incident?.fields).toMatchObject({
      sys_id: ref.externalId,
      correlation_id: 'risk:t1:u1:2026-12-01T09:12:00Z',
      correlation_display: 'entra-ops',
      urgency: '1',
      impact: '1',
      priority: '1',
      state: '1',
      category: 'security',
      short_description: 'At-risk member: Adele Vance (high)',
    });
    expect(incident?.fields.description).toContain('- Reset the password');
    expect(incident?.fields.description).toContain('riskLevel: high');
  });

  it('returns the existing incident for a key instead of opening a second one, even after it was resolved', async () => {
    const p = provider();
    const first = await p.open(draft('risk:t1:u2:e1'));
    expect(await p.open(draft('risk:t1:u2:e1'))).toEqual(first);
    await p.resolve(first, { noteId: 'n1', text: 'Risk remediated' });
    expect(await p.open(draft('risk:t1:u2:e1'))).toEqual(first);
    expect(sn.incidents()).toHaveLength(1);
    expect(await requestCount(sn.url, 'POST /api/now/table/incident')).toBe(1);
  });

  it('keys longer than correlation_id holds are replaced by a digest, so the dedupe query still matches', async () => {
    const long = `risk:${'a'.repeat(36)}:${'b'.repeat(36)}:2026-12-01T09:12:00.000Z`;
    expect(long.length).toBeGreaterThan(100);
    const p = provider();
    const ref = await p.open(draft(long));
    expect(await p.open(draft(long))).toEqual(ref);
    expect(sn.incidents()[0]?.fields.correlation_id).toBe(correlationIdFor(long));
    expect(correlationIdFor(long).length).toBeLessThanOrEqual(100);
    expect(correlationIdFor('a^b')).not.toContain('^');
  });

  it('adds notes as work notes carrying the note id', async () => {
    const p = provider();
    const ref = await p.open(draft('risk:t1:u3:e1'));
    await p.addNote(ref, { noteId: 'signal-7', text: 'New detection: anonymous IP' });
    const journal = sn.incidents()[0]?.journal ?? [];
    expect(journal).toHaveLength(1);
    expect(journal[0]).toMatchObject({ element: 'work_notes', sys_created_by: USER });
    expect(journal[0]?.value).toContain('New detection: anonymous IP');
    expect(journal[0]?.value).toContain('signal-7');
  });

  it('resolves with state 6, close code and close notes, and a second resolve writes nothing', async () => {
    const p = provider();
    const ref = await p.open(draft('risk:t1:u4:e1'));
    await p.resolve(ref, { noteId: 'resolved', text: 'Risk dismissed in Entra ID' });
    const fields = sn.incidents()[0]!.fields;
    expect(fields).toMatchObject({ state: '6', incident_state: '6', close_code: 'Solution provided', active: 'true' });
    expect(fields.close_notes).toContain('Risk dismissed in Entra ID');
    const modCount = fields.sys_mod_count;
    await p.resolve(ref, { noteId: 'resolved', text: 'Risk dismissed in Entra ID' });
    expect(sn.incidents()[0]!.fields.sys_mod_count).toBe(modCount);
  });

  it('refuses to pick one when more than one incident carries the correlation_id, and creates nothing', async () => {
    const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${sn.url}/api/now/table/incident`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ short_description: `manual copy ${i}`, correlation_id: 'risk:t1:dup:e1' }),
      });
      expect(res.status).toBe(201);
    }
    const error = await failure(provider().open(draft('risk:t1:dup:e1')));
    expect(error).toBeInstanceOf(TicketProviderError);
    expect(error).toMatchObject({ retryable: false, provider: 'servicenow' });
    expect((error as Error).message).toMatch(/more than one incident.*INC0010001, INC0010002/);
    expect(sn.incidents()).toHaveLength(2);
  });

  it('maps bad credentials to a non-retryable error that names the settings and never the password', async () => {
    const p = provider({ auth: { kind: 'basic', username: USER, password: 'wrong-password' } });
    const error = await failure(p.open(draft('risk:t1:u5:e1')));
    expect(error).toMatchObject({ retryable: false, status: 401 });
    expect((error as Error).message).toMatch(/refused the credentials.*User Not Authenticated.*SERVICENOW_USERNAME/);
    expect((error as Error).message).not.toContain('wrong-password');
    const health = await p.check();
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(/HTTP 401/);
    expect(await provider().check()).toEqual({ ok: true, detail: 'incident table readable' });
  });

  it('maps 5xx and 429 to retryable errors carrying Retry-After, and nothing is created', async () => {
    await control(sn.url, 'POST', '/_standin/faults', { status: 503, retryAfterSeconds: 7 });
    const unavailable = await failure(provider().open(draft('risk:t1:u6:e1')));
    expect(unavailable).toMatchObject({ retryable: true, status: 503, retryAfterMs: 7_000 });
    await control(sn.url, 'POST', '/_standin/faults', {
      status: 429,
      retryAfterSeconds: 2,
      pathPrefix: '/api/now/table/incident',
    });
    expect(await failure(provider().open(draft('risk:t1:u6:e1')))).toMatchObject({
      retryable: true,
      status: 429,
      retryAfterMs: 2_000,
    });
    expect(sn.incidents()).toHaveLength(0);
    // The retry from the queue then succeeds once.
    await provider().open(draft('risk:t1:u6:e1'));
    expect(sn.incidents()).toHaveLength(1);
  });

  it('maps a hung instance to a retryable timeout', async () => {
    await control(sn.url, 'POST', '/_standin/faults', { hang: true });
    const error = await failure(provider({ timeoutMs: 200 }).open(draft('risk:t1:u7:e1')));
    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).message).toMatch(/no answer within 200 ms/);
  });

  it('refuses other 4xx answers without retry and reports the instance message', async () => {
    const error = await failure(
      provider().addNote({ provider: 'servicenow', externalId: 'f'.repeat(32) }, { noteId: 'x', text: 'y' }),
    );
    expect(error).toMatchObject({ retryable: false, status: 404 });
    expect((error as Error).message).toMatch(/No Record found/);
  });

  describe('OAuth client credentials', () => {
    const oauth = () => provider({ auth: { kind: 'oauth', ...CLIENT } });

    it('gets one token and reuses it until shortly before it expires', async () => {
      const p = oauth();
      const ref = await p.open(draft('risk:t1:o1:e1'));
      await p.addNote(ref, { noteId: 'n', text: 'note' });
      expect(await requestCount(sn.url, 'POST /oauth_token.do')).toBe(1);
      clock += 590_000; // inside the early-refresh margin of the 600 s token
      await p.addNote(ref, { noteId: 'n2', text: 'note' });
      expect(await requestCount(sn.url, 'POST /oauth_token.do')).toBe(2);
      expect(sn.incidents()[0]?.fields.sys_created_by).toBe('oauth.integration');
    });

    it('fetches a new token once when the instance no longer accepts the cached one', async () => {
      const p = oauth();
      await p.open(draft('risk:t1:o2:e1'));
      await control(sn.url, 'POST', '/_standin/reset'); // the instance forgets every token
      await p.open(draft('risk:t1:o2:e1'));
      expect(await requestCount(sn.url, 'POST /oauth_token.do')).toBe(2);
      expect(sn.incidents()).toHaveLength(1);
    });

    it('a wrong client secret is a non-retryable error naming the OAuth settings', async () => {
      const p = provider({ auth: { kind: 'oauth', clientId: CLIENT.clientId, clientSecret: 'nope' } });
      const error = await failure(p.open(draft('risk:t1:o3:e1')));
      expect(error).toMatchObject({ retryable: false, status: 401 });
      expect((error as Error).message).toMatch(/get OAuth token.*access_denied.*SERVICENOW_CLIENT_ID/);
    });
  });
});

describe('ServiceNow stand-in fidelity', () => {
  let sn: ServiceNowStandIn;
  const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  beforeAll(async () => {
    sn = await startServiceNowStandIn({ username: USER, password: PASSWORD });
  });
  afterAll(() => sn.close());
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${sn.url}${path}`, {
      method,
      headers: { authorization: auth, accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  const result = z.object({ result: z.array(z.record(z.string(), z.string())) });

  it('answers 201 with Location and string fields, and ignores sys_ fields in the body', async () => {
    const res = await call('POST', '/api/now/table/incident', { short_description: 'x', urgency: 2, sys_id: 'mine' });
    expect(res.status).toBe(201);
    const body = z.object({ result: z.record(z.string(), z.string()) }).parse(await res.json());
    expect(body.result.sys_id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.result.urgency).toBe('2');
    expect(res.headers.get('location')).toBe(`${sn.url}/api/now/table/incident/${body.result.sys_id}`);
  });

  it('v2 answers no match with an empty array, v1 with 404', async () => {
    expect(result.parse(await (await call('GET', '/api/now/v2/table/incident?sysparm_query=number=INC9')).json()).result).toEqual(
      [],
    );
    const v1 = await call('GET', '/api/now/v1/table/incident?sysparm_query=number=INC9');
    expect(v1.status).toBe(404);
    expect(await v1.json()).toMatchObject({ error: { message: 'No Record found' }, status: 'failure' });
  });

  it('ignores an invalid query part, so a misspelt field returns every incident', async () => {
    await call('POST', '/api/now/table/incident', { short_description: 'y', correlation_id: 'k1' });
    const all = result.parse(await (await call('GET', '/api/now/table/incident')).json()).result.length;
    const misspelt = await call('GET', `/api/now/table/incident?sysparm_query=${encodeURIComponent('correlaton_id=k1')}`);
    expect(result.parse(await misspelt.json()).result).toHaveLength(all);
    const right = await call('GET', `/api/now/table/incident?sysparm_query=${encodeURIComponent('correlation_id=k1')}`);
    expect(result.parse(await right.json()).result).toHaveLength(1);
  });

  it('answers 401 in the Table API error shape without credentials, and 400 for a body that is not JSON', async () => {
    const res = await fetch(`${sn.url}/api/now/table/incident`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
      status: 'failure',
    });
    const bad = await call('POST', '/api/now/table/incident', '{nope');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { message: 'Exception while reading request' }, status: 'failure' });
  });

  it('refuses to resolve without close code and notes, as the data policy does', async () => {
    const created = z
      .object({ result: z.record(z.string(), z.string()) })
      .parse(await (await call('POST', '/api/now/table/incident', { short_description: 'z' })).json());
    const res = await call('PATCH', `/api/now/table/incident/${created.result.sys_id}`, { state: '6' });
    expect(res.status).toBe(403);
    expect(JSON.stringify(await res.json())).toMatch(/Data Policy Exception: Resolution code is mandatory/);
  });
});
