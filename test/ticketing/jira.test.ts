import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

import { isAdfDocument, type JiraStandIn, startJiraStandIn } from '../../local/stand-ins/jira';
import { dedupeLabelFor, type JiraOptions, JiraProvider } from '../../shared/ticketing/jira';
import type { TicketDraft, TicketRef } from '../../shared/ticketing/port';
import { control, failure, requestCount } from './standIns';

const EMAIL = 'entra-ops@contoso.example';
const TOKEN = 'ATATT3xFfGF0-jira-api-token';

const draft = (key: string): TicketDraft => ({
  key,
  category: 'risk',
  title: 'At-risk guest: pat@fabrikam.example (home tenant risk)',
  severity: 'medium',
  sections: [
    { heading: 'Why', lines: ['Sign-ins fail with 53011: blocked due to risk on home tenant'] },
    { heading: 'Next', lines: ['Ask the home tenant to remediate', 'Or exclude guests from the user-risk policy'] },
  ],
});

describe('Jira provider against the REST v3 stand-in', () => {
  let jira: JiraStandIn;
  beforeAll(async () => {
    jira = await startJiraStandIn({ email: EMAIL, apiToken: TOKEN, projectKey: 'SEC' });
  });
  afterAll(() => jira.close());
  afterEach(async () => {
    await control(jira.url, 'POST', '/_standin/reset');
    await control(jira.url, 'DELETE', '/_standin/faults');
    await control(jira.url, 'DELETE', '/_standin/stats');
    await control(jira.url, 'POST', '/_standin/consistency', { eventual: false });
  });

  const provider = (overrides: Partial<JiraOptions> = {}) =>
    new JiraProvider({
      baseUrl: jira.url,
      email: EMAIL,
      apiToken: TOKEN,
      projectKey: 'SEC',
      issueType: 'Task',
      resolveTransition: 'Done',
      timeoutMs: 2_000,
      ...overrides,
    });

  it('creates an issue with an ADF description and the dedupe label, and links to it', async () => {
    const ref = await provider().open(draft('risk:t1:g1:e1'));
    expect(ref).toEqual({ provider: 'jira', externalId: 'SEC-1', displayId: 'SEC-1', url: `${jira.url}/browse/SEC-1` });
    const issue = jira.issues()[0]!;
    expect(issue.fields.labels).toEqual([dedupeLabelFor('risk:t1:g1:e1'), 'entra-ops', 'entra-ops-risk']);
    expect(isAdfDocument(issue.fields.description)).toBe(true);
    expect(JSON.stringify(issue.fields.description)).toContain('Or exclude guests from the user-risk policy');
  });

  it('finds the issue by its label instead of creating a second one', async () => {
    const ref = await provider().open(draft('risk:t1:g2:e1'));
    // A fresh provider (another process): only the search can find it.
    expect(await provider().open(draft('risk:t1:g2:e1'))).toEqual(ref);
    expect(jira.issues()).toHaveLength(1);
    expect(await requestCount(jira.url, 'POST /rest/api/3/issue')).toBe(1);
  });

  describe('eventually consistent search', () => {
    it("a process that did not create the issue cannot see it yet: the caller's key map must be the primary dedupe", async () => {
      await control(jira.url, 'POST', '/_standin/consistency', { eventual: true });
      const keyMap = new Map<string, TicketRef>();
      const openThroughMap = async (p: JiraProvider, d: TicketDraft) => {
        const known = keyMap.get(d.key);
        if (known) return known;
        const ref = await p.open(d);
        keyMap.set(d.key, ref);
        return ref;
      };
      const first = await openThroughMap(provider(), draft('risk:t1:g3:e1'));
      // With the map, a second process opens nothing new although search still misses the issue.
      expect(await openThroughMap(provider(), draft('risk:t1:g3:e1'))).toEqual(first);
      expect(jira.issues()).toHaveLength(1);
      // Without it, the search fallback is blind until the index catches up: this is the gap the map closes.
      const duplicate = await provider().open(draft('risk:t1:g3:e1'));
      expect(duplicate.externalId).not.toBe(first.externalId);
      expect(jira.issues()).toHaveLength(2);
      // Once indexed, the fallback finds the oldest of the two and stops creating.
      await control(jira.url, 'POST', '/_standin/index');
      expect(await provider().open(draft('risk:t1:g3:e1'))).toEqual(first);
      expect(jira.issues()).toHaveLength(2);
    });

    it('the same process finds what it created through reconcileIssues', async () => {
      await control(jira.url, 'POST', '/_standin/consistency', { eventual: true });
      const p = provider();
      const ref = await p.open(draft('risk:t1:g4:e1'));
      expect(await p.open(draft('risk:t1:g4:e1'))).toEqual(ref);
      expect(jira.issues()).toHaveLength(1);
    });
  });

  it('adds notes as ADF comments carrying the note id', async () => {
    const p = provider();
    const ref = await p.open(draft('risk:t1:g5:e1'));
    await p.addNote(ref, { noteId: 'signal-3', text: 'Another 53011 sign-in\nfrom 203.0.113.7' });
    const [comment] = jira.issues()[0]!.comments;
    expect(isAdfDocument(comment?.body)).toBe(true);
    expect(JSON.stringify(comment?.body)).toContain('signal-3');
    expect(JSON.stringify(comment?.body)).toContain('from 203.0.113.7');
  });

  it('resolves through the transition found by name, with the closing comment, and a second resolve does nothing', async () => {
    const p = provider();
    const ref = await p.open(draft('risk:t1:g6:e1'));
    await p.resolve(ref, { noteId: 'resolved', text: 'Home tenant remediated the risk' });
    const issue = jira.issues()[0]!;
    expect(issue.fields.status.name).toBe('Done');
    expect(issue.comments).toHaveLength(1);
    expect(JSON.stringify(issue.comments[0]?.body)).toContain('Home tenant remediated the risk');
    await p.resolve(ref, { noteId: 'resolved', text: 'Home tenant remediated the risk' });
    expect(await requestCount(jira.url, 'POST /rest/api/3/issue/SEC-1/transitions')).toBe(1);
    expect(jira.issues()[0]!.comments).toHaveLength(1);
  });

  it('a resolve transition that does not exist is a non-retryable error listing the ones that do', async () => {
    const p = provider({ resolveTransition: 'Close Issue' });
    const ref = await p.open(draft('risk:t1:g7:e1'));
    const error = await failure(p.resolve(ref, { noteId: 'x', text: 'y' }));
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toMatch(/no transition 'Close Issue'.*available: In Progress, Approve, Done/);
    expect(jira.issues()[0]!.fields.status.name).toBe('To Do');
  });

  it('maps a bad API token to a non-retryable error that never shows the token', async () => {
    const p = provider({ apiToken: 'revoked-token' });
    const error = await failure(p.open(draft('risk:t1:g8:e1')));
    expect(error).toMatchObject({ retryable: false, status: 401 });
    expect((error as Error).message).toMatch(/refused the credentials.*JIRA_API_TOKEN/);
    expect((error as Error).message).not.toContain('revoked-token');
    expect((await p.check()).ok).toBe(false);
    expect(await provider().check()).toEqual({ ok: true, detail: 'project SEC readable' });
    expect((await provider({ projectKey: 'NOPE' }).check()).detail).toMatch(/No project could be found with key 'NOPE'/);
  });

  it('maps 429 and 5xx to retryable errors with Retry-After, and timeouts to retryable errors', async () => {
    await control(jira.url, 'POST', '/_standin/faults', { status: 429, retryAfterSeconds: 30 });
    expect(await failure(provider().open(draft('risk:t1:g9:e1')))).toMatchObject({
      retryable: true,
      status: 429,
      retryAfterMs: 30_000,
    });
    await control(jira.url, 'POST', '/_standin/faults', { status: 502, pathPrefix: '/rest/api/3/issue' });
    expect(await failure(provider().open(draft('risk:t1:g9:e1')))).toMatchObject({ retryable: true, status: 502 });
    await control(jira.url, 'POST', '/_standin/faults', { hang: true });
    expect(await failure(provider({ timeoutMs: 200 }).open(draft('risk:t1:g9:e1')))).toMatchObject({ retryable: true });
    expect(jira.issues()).toHaveLength(0);
    await provider().open(draft('risk:t1:g9:e1'));
    expect(jira.issues()).toHaveLength(1);
  });

  it("a field Jira refuses is a non-retryable error quoting Jira's field errors", async () => {
    const error = await failure(provider({ issueType: 'Epic' }).open(draft('risk:t1:g10:e1')));
    expect(error).toMatchObject({ retryable: false, status: 400 });
    expect((error as Error).message).toMatch(/issuetype: valid issue type is required/);
  });
});

describe('Jira stand-in fidelity', () => {
  let jira: JiraStandIn;
  const auth = `Basic ${Buffer.from(`${EMAIL}:${TOKEN}`).toString('base64')}`;
  beforeAll(async () => {
    jira = await startJiraStandIn({ email: EMAIL, apiToken: TOKEN });
  });
  afterAll(() => jira.close());
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${jira.url}${path}`, {
      method,
      headers: { authorization: auth, accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const base = { project: { key: 'SEC' }, issuetype: { name: 'Task' }, summary: 'x' };

  it('refuses a plain-string description in v3 with the documented 400 shape', async () => {
    const res = await call('POST', '/rest/api/3/issue', { fields: { ...base, description: 'plain text' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      errorMessages: [],
      errors: { description: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' },
    });
  });

  it('answers the removed /search with 410 and pages search/jql with nextPageToken, ids only by default', async () => {
    expect((await call('GET', '/rest/api/3/search?jql=project=SEC')).status).toBe(410);
    expect((await call('GET', '/rest/api/2/search?jql=project=SEC')).status).toBe(410);
    for (let i = 0; i < 3; i++)
      expect((await call('POST', '/rest/api/3/issue', { fields: { ...base, labels: ['page'] } })).status).toBe(201);
    const page = z.object({
      issues: z.array(z.record(z.string(), z.unknown())),
      nextPageToken: z.string().optional(),
      isLast: z.boolean(),
    });
    const first = page.parse(
      await (await call('POST', '/rest/api/3/search/jql', { jql: 'labels = page', maxResults: 2 })).json(),
    );
    expect(first.issues).toHaveLength(2);
    expect(Object.keys(first.issues[0]!)).toEqual(['id']);
    expect(first).not.toHaveProperty('total');
    const second = page.parse(
      await (
        await call('POST', '/rest/api/3/search/jql', { jql: 'labels = page', maxResults: 2, nextPageToken: first.nextPageToken })
      ).json(),
    );
    expect(second.issues).toHaveLength(1);
    expect(second.isLast).toBe(true);
  });

  it('refuses unknown JQL fields and unbounded queries', async () => {
    const res = await call('POST', '/rest/api/3/search/jql', { jql: 'labelz = x' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      errorMessages: ["Field 'labelz' does not exist or you do not have permission to view it."],
    });
    expect((await call('POST', '/rest/api/3/search/jql', { jql: '' })).status).toBe(400);
  });

  it('answers transitions with 204 and refuses an invalid transition id', async () => {
    const created = z.object({ key: z.string() }).parse(await (await call('POST', '/rest/api/3/issue', { fields: base })).json());
    expect((await call('POST', `/rest/api/3/issue/${created.key}/transitions`, { transition: { id: '41' } })).status).toBe(204);
    const bad = await call('POST', `/rest/api/3/issue/${created.key}/transitions`, { transition: { id: '99' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errorMessages: ["Transition id '99' is not valid for this issue."] });
  });

  it('answers 401 without credentials', async () => {
    expect((await fetch(`${jira.url}/rest/api/3/myself`)).status).toBe(401);
  });
});
