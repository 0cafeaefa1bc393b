import { describe, expect, it } from 'vitest';

import { DEMO_GROUPS, DEMO_USERS } from '../../local/tenants/demoIds';
import type { SyncJob, SyncRun } from '../../shared/sync/jobModel';
import { eventually } from '../helpers/host';
import { useStack } from '../helpers/stack';

/**
 * The read routes the console uses, over HTTP through the local host (real Azurite, the Graph sandbox): names for a
 * plan, run history with paging, import lists and result rows with filters, the results file, the overview, and the
 * console's static files. Hostile input gets the error model.
 */
const stack = useStack({ env: { PHONE_DEFAULT_REGION: 'US', PHONE_CHUNK_SIZE: '2' } });

async function call(method: string, path: string, body?: unknown, type = 'application/json') {
  const res = await fetch(`${stack.current.apiUrl}/api/${path}`, {
    method,
    redirect: 'manual',
    headers: body === undefined ? {} : { 'content-type': type },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  const isJson = res.headers.get('content-type')?.includes('json') ?? false;
  const json = isJson && text ? (JSON.parse(text) as Record<string, unknown>) : {};
  return { status: res.status, headers: res.headers, json, text };
}

describe('console read models', () => {
  it('names a plan page by page, reports deleted objects, and pages a job history newest first', async () => {
    const job = (
      await call('POST', 'sync/jobs', {
        name: 'names',
        target: 'Group2Name',
        sources: [{ group: 'Group1Name' }],
        limits: { maxAdds: 1 },
      })
    ).json as unknown as SyncJob;
    const blocked = (await call('POST', `sync/jobs/${job.jobId}/run?dryRun=true`)).json as unknown as SyncRun;
    expect(blocked).toMatchObject({ status: 'blocked', blockedBy: [{ limit: 'maxAdds', allowed: 1 }] });

    const page = await call('GET', `sync/runs/${blocked.runId}/members?list=add&skip=0&top=10`);
    expect(page.status).toBe(200);
    expect(page.json).toMatchObject({ list: 'add', total: blocked.plan.add.length, skip: 0, top: 10 });
    const members = page.json.value as { id: string; displayName: string; userPrincipalName: string; found: boolean }[];
    expect(members).toHaveLength(10);
    expect(members.map((m) => m.id)).toEqual(blocked.plan.add.slice(0, 10));
    expect(members.every((m) => m.found && m.userPrincipalName.endsWith('@contosodemo.onmicrosoft.com'))).toBe(true);
    const leaver = await call('GET', `sync/runs/${blocked.runId}/members?list=add&top=1000`);
    const sales = (leaver.json.value as { id: string; displayName: string }[]).find((m) => m.id === DEMO_USERS.salesManager.id);
    expect(sales?.displayName).toBe(DEMO_USERS.salesManager.displayName);

    // A member deleted after the run is shown as not found instead of failing the page.
    const gone = blocked.plan.add[0]!;
    const del = await fetch(`${stack.current.sandboxUrl}/v1.0/users/${gone}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer t' },
    });
    expect(del.status).toBe(204);
    const after = (await call('GET', `sync/runs/${blocked.runId}/members?top=1`)).json.value as {
      found: boolean;
      type: string;
    }[];
    expect(after[0]).toMatchObject({ found: false, type: 'unknown' });

    for (let i = 0; i < 2; i++) await call('POST', `sync/jobs/${job.jobId}/run?dryRun=true`);
    const first = await call('GET', `sync/jobs/${job.jobId}/runs?top=2`);
    const runs = first.json.value as { runId: string; startedAt: string }[];
    expect(runs).toHaveLength(2);
    expect(runs[0]!.startedAt >= runs[1]!.startedAt).toBe(true);
    expect(typeof first.json.next).toBe('string');
    const second = await call('GET', `sync/jobs/${job.jobId}/runs?top=2&after=${String(first.json.next)}`);
    expect((second.json.value as { runId: string }[]).map((r) => r.runId)).toEqual([blocked.runId]);
    expect(second.json.next).toBeUndefined();

    const overview = await call('GET', 'overview');
    expect(overview.json).toMatchObject({ sync: { runs: 3, byStatus: { blocked: 3 } }, tickets: { open: 0 } });
    expect((overview.json.sync as { problems: unknown[] }).problems).toHaveLength(3);
    expect((overview.json.sync as { graphRequests: { httpCalls: number } }).graphRequests.httpCalls).toBeGreaterThan(0);
    expect(DEMO_GROUPS.group2Name.id).toBe(job.target);
  });

  it('refuses bad paging and list parameters with the error model', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    expect((await call('GET', `sync/runs/${id}/members?list=everyone`)).json.error).toMatchObject({ code: 'INVALID_QUERY' });
    expect((await call('GET', `sync/runs/${id}/members?top=5000`)).status).toBe(400);
    expect((await call('GET', `sync/runs/${id}/members`)).status).toBe(404);
    expect((await call('GET', `sync/jobs/${id}/runs?after=' or 1 eq 1`)).json.error).toMatchObject({ code: 'INVALID_QUERY' });
    expect((await call('GET', 'sync/jobs/not-a-guid/runs')).json.error).toMatchObject({ code: 'INVALID_PATH' });
    expect((await call('GET', 'phone-imports/imp123/rows')).json.error).toMatchObject({ code: 'INVALID_PATH' });
    expect((await call('GET', `phone-imports/imp${'0'.repeat(29)}/rows`)).json.error).toMatchObject({ code: 'IMPORT_NOT_FOUND' });
    expect((await call('GET', `phone-imports/imp${'0'.repeat(29)}/results`)).json.error).toMatchObject({
      code: 'RESULTS_NOT_READY',
    });
    expect((await call('GET', 'phone-imports?top=0')).status).toBe(400);
  });

  it('lists imports, filters result rows by status and text, and serves the results file', async () => {
    const csv = [
      'UserName,PhoneNumber',
      `${DEMO_USERS.smsNoPhone.userPrincipalName},(425) 555-0301`,
      'ghost@contosodemo.onmicrosoft.com,+1 425 555 0302',
      `${DEMO_USERS.countryBlocked.userPrincipalName},not a number`,
    ].join('\r\n');
    const posted = await call('POST', 'phone-imports?name=rows.csv', csv, 'text/csv');
    expect(posted.status).toBe(202);
    const importId = String(posted.json.importId);
    await eventually(
      'import completed',
      async () => ((await call('GET', `phone-imports/${importId}`)).json.status === 'completed' ? true : undefined),
      30_000,
    );
    const list = (await call('GET', 'phone-imports')).json.value as { importId: string; file: string }[];
    expect(list.find((i) => i.importId === importId)).toMatchObject({ file: 'rows.csv' });

    const all = await call('GET', `phone-imports/${importId}/rows`);
    expect(all.json).toMatchObject({ total: 3 });
    const failed = await call('GET', `phone-imports/${importId}/rows?status=failed`);
    expect((failed.json.value as { line: number }[]).map((r) => r.line)).toEqual([3, 4]);
    const text = await call('GET', `phone-imports/${importId}/rows?q=NOT%20FOUND`);
    expect(text.json).toMatchObject({ total: 1, value: [{ line: 3, user: 'ghost@contosodemo.onmicrosoft.com' }] });
    const paged = await call('GET', `phone-imports/${importId}/rows?skip=2&top=1`);
    expect(paged.json).toMatchObject({ total: 3, value: [{ line: 4 }] });
    expect(JSON.stringify(all.json)).not.toContain('555-0301');

    const file = await call('GET', `phone-imports/${importId}/results`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('text/csv');
    expect(file.headers.get('content-disposition')).toBe('attachment; filename="rows.results.csv"');
    expect(file.text.split('\r\n')).toHaveLength(5);
  });
});

describe('console static files', () => {
  it('serves only the built console files, with a strict policy, and its public config', async () => {
    const redirect = await call('GET', 'console');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/api/console/');
    const index = await call('GET', 'console/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
    );
    expect(index.text).not.toMatch(/<script>|\sstyle=|\son\w+=/);
    expect((await call('GET', 'console/console.js')).headers.get('content-type')).toContain('text/javascript');
    for (const path of ['console/build.js', 'console/..%2F..%2Fpackage.json', 'console/%2e%2e/host.json', 'console/nope.html']) {
      const missing = await call('GET', path);
      expect(missing.status, path).toBe(404);
      // Found by the route fuzzer: this refusal was plain text, outside the error model every route answers in.
      expect(missing.json, path).toMatchObject({
        error: { code: expect.any(String) as unknown, message: expect.any(String) as unknown },
      });
    }
    expect((await call('GET', 'console/config')).json).toEqual({ auth: null, version: expect.any(String) as unknown });
  });
});
