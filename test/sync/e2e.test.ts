import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { TenantFile } from '../../local/sandbox/index';
import { DEMO_GROUPS } from '../../local/tenants/demoIds';
import type { SyncJob, SyncRun } from '../../shared/sync/jobModel';
import { useStack } from '../helpers/stack';

/**
 * The seed's "copy the members of Group1Name to Group2Name" through the local stack (Azurite, Graph sandbox with the
 * demo tenant, the local host running allFunctions) over HTTP, the way an admin script would call the deployed app.
 */
const stack = useStack();

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${stack.current.apiUrl}/api/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function members(groupId: string): Promise<string[]> {
  const res = await fetch(`${stack.current.sandboxUrl}/v1.0/groups/${groupId}/members?$select=id&$top=999`, {
    headers: { authorization: 'Bearer e2e-admin' },
  });
  return ((await res.json()) as { value: { id: string }[] }).value.map((m) => m.id);
}

/**
 * What the seed job must leave in Group2Name, worked out from the demo tenant file rather than from the app's own plan:
 * Group1Name's direct members that are users, minus disabled accounts (the job's defaults: users only, any user type,
 * disabled accounts not synced).
 */
function expectedGroup2Members(): { expected: string[]; disabled: string[] } {
  const tenant = JSON.parse(readFileSync(path.resolve(__dirname, '../../local/tenants/demo.json'), 'utf8')) as TenantFile;
  const users = new Map((tenant.users ?? []).map((u) => [u.id, u]));
  const direct = tenant.groups?.find((g) => g.id === DEMO_GROUPS.group1Name.id)?.members ?? [];
  const userMembers = direct.filter((id) => users.has(id));
  const disabled = userMembers.filter((id) => users.get(id)?.accountEnabled === false);
  return { expected: userMembers.filter((id) => !disabled.includes(id)).sort(), disabled };
}

describe('group sync through the local host', () => {
  it('creates the seed job by group names, dry-runs it, runs it, reads the run back and deletes the job', async () => {
    const created = await api('POST', 'sync/jobs', {
      name: 'Group1 to Group2',
      target: 'Group2Name',
      sources: [{ group: 'Group1Name' }],
      schedule: '0 0 * * * *',
    });
    expect(created.status).toBe(201);
    const job = created.json as unknown as SyncJob;
    expect(job.target).toBe(DEMO_GROUPS.group2Name.id);

    const listed = await api('GET', 'sync/jobs');
    expect((listed.json.value as SyncJob[]).map((j) => j.jobId)).toContain(job.jobId);

    const dry = (await api('POST', `sync/jobs/${job.jobId}/run?dryRun=true`)).json as unknown as SyncRun;
    expect(dry).toMatchObject({ dryRun: true, status: 'succeeded', counts: { added: 0 } });
    expect(await members(DEMO_GROUPS.group2Name.id)).toEqual([]);

    const run = (await api('POST', `sync/jobs/${job.jobId}/run`)).json as unknown as SyncRun;
    expect(run.status).toBe('succeeded');
    expect(run.counts.added).toBe(dry.plan.add.length);
    expect((await members(DEMO_GROUPS.group2Name.id)).sort()).toEqual([...dry.plan.add].sort());
    // The tenant ends up as the job promises, independently of the plan: every enabled user of Group1Name, and no
    // disabled one (the demo tenant puts some in Group1Name precisely to check this).
    const { expected, disabled } = expectedGroup2Members();
    expect(disabled.length).toBeGreaterThan(0);
    expect(expected.length).toBeGreaterThan(10);
    expect((await members(DEMO_GROUPS.group2Name.id)).sort()).toEqual(expected);
    expect(run.graphRequests.httpCalls).toBeLessThanOrEqual(3);

    expect((await api('GET', `sync/jobs/${job.jobId}`)).json).toMatchObject({ jobId: job.jobId, lastRunId: run.runId });
    const again = await api('GET', `sync/runs/${run.runId}`);
    expect(again.json).toMatchObject({
      runId: run.runId,
      status: 'succeeded',
      target: { id: DEMO_GROUPS.group2Name.id, displayName: 'Group2Name' },
    });

    expect((await api('DELETE', `sync/jobs/${job.jobId}`)).status).toBe(204);
    expect((await api('GET', `sync/jobs/${job.jobId}`)).status).toBe(404);
  });

  it('answers bad input with the error model', async () => {
    const res = await api('POST', 'sync/jobs', { name: 'x', target: 'Group2Name', sources: [{ group: 'Group2Name' }] });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'SYNC_TARGET_IS_SOURCE' });
    expect((await api('GET', 'sync/runs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api('POST', 'sync/jobs/00000000-0000-4000-8000-000000000000/run')).json.error).toMatchObject({
      code: 'SYNC_JOB_NOT_FOUND',
    });
  });
});
