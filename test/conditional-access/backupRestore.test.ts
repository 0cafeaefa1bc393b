import { BlobServiceClient } from '@azure/storage-blob';
import { beforeEach, describe, expect, it } from 'vitest';

import { caBackupDiffHandler } from '../../functions/caBackupDiff';
import { caBackupsCreateHandler } from '../../functions/caBackupsCreate';
import { caBackupsListHandler } from '../../functions/caBackupsList';
import { caRestoreHandler } from '../../functions/caRestore';
import { DEMO_CA_POLICIES, DEMO_GROUPS, DEMO_USERS } from '../../local/tenants/demoIds';
import type { BackupDiffReport } from '../../shared/conditional-access/backupDiff';
import type { BackupManifest } from '../../shared/conditional-access/backupModel';
import type { RestorePlan } from '../../shared/conditional-access/restore';
import { type CaHarness, call, graphAdmin, resetSandbox, setKnobs, useCaHarness } from './harness';

/** Backups, diffs and restores through the HTTP handlers, on Azurite and the demo tenant in the Graph sandbox. */
const BG_USERS = [DEMO_USERS.breakGlass1.id, DEMO_USERS.breakGlass2.id];
const harness = useCaHarness({
  CA_BREAK_GLASS_USERS: BG_USERS.join(','),
  CA_BREAK_GLASS_GROUPS: DEMO_GROUPS.breakGlassExclusion.id,
});
const P = DEMO_CA_POLICIES;
const policyPath = (id: string) => `/v1.0/identity/conditionalAccess/policies/${id}`;

beforeEach(async () => {
  await resetSandbox(harness.current);
});

async function backup(): Promise<BackupManifest> {
  const res = await call(caBackupsCreateHandler, { method: 'POST' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as unknown as BackupManifest;
}

async function restore(body: Record<string, unknown>) {
  return call(caRestoreHandler, { method: 'POST', body });
}

async function livePolicy(h: CaHarness, id: string): Promise<Record<string, unknown> | undefined> {
  const res = await graphAdmin(h, policyPath(id));
  return res.status === 200 ? (res.body as Record<string, unknown>) : undefined;
}

function container(h: CaHarness) {
  return BlobServiceClient.fromConnectionString(h.azurite.connectionString).getContainerClient('ca-backups');
}

describe('CA backups', () => {
  it('exports every policy, named location and authentication strength with a name sidecar, and lists it', async () => {
    const m = await backup();
    expect(m.counts).toMatchObject({ policies: 8, namedLocations: 3, authenticationStrengths: 3 });
    expect(m.entries.filter((e) => e.kind === 'policy').map((e) => e.displayName)).toContain(P.signInRisk.displayName);
    expect(m.counts.referencedIds).toBeGreaterThan(0);
    const list = await call(caBackupsListHandler);
    expect(list.status).toBe(200);
    expect((list.body.value as { backupId: string }[]).map((b) => b.backupId)).toContain(m.backupId);
  });

  it('stores unchanged content once: a second backup writes nothing new', async () => {
    const first = await backup();
    const second = await backup();
    expect(second.backupId).not.toBe(first.backupId);
    expect(second.stored).toEqual({ written: 0, reused: first.stored.written + first.stored.reused });
    expect(second.entries.map((e) => e.sha256)).toEqual(first.entries.map((e) => e.sha256));
  });

  it('survives 429s without Retry-After on the 1 request/s Conditional Access routes', async () => {
    const h = harness.current;
    await setKnobs(h, { faults: [{ route: 'GET /identity/conditionalAccess/policies', kind: '429', times: 2 }] });
    const m = await backup();
    expect(m.counts.policies).toBe(8);
    const stats = (await graphAdmin(h, '/_sandbox/stats')).body as { throttled: number };
    expect(stats.throttled).toBeGreaterThanOrEqual(2);
  });
});

describe('CA diff', () => {
  it('shows a policy change against live and against a later backup, ids with their names', async () => {
    const h = harness.current;
    const before = await backup();
    const patch = await graphAdmin(h, policyPath(P.untrustedCountries.id), {
      method: 'PATCH',
      body: { conditions: { users: { excludeGroups: [DEMO_GROUPS.breakGlassExclusion.id, DEMO_GROUPS.temporaryExclusion.id] } } },
    });
    expect(patch.status).toBe(204);

    const live = await call(caBackupDiffHandler, { params: { backupId: before.backupId } });
    expect(live.status).toBe(200);
    const report = live.body as unknown as BackupDiffReport;
    expect(report.added).toEqual([]);
    expect(report.removed).toEqual([]);
    expect(report.changed.map((c) => c.id)).toEqual([P.untrustedCountries.id]);
    expect(report.changed[0]!.changes).toEqual([
      expect.objectContaining({
        path: 'conditions.users.excludeGroups',
        added: [DEMO_GROUPS.temporaryExclusion.id],
        removed: [],
        names: {
          [DEMO_GROUPS.breakGlassExclusion.id]: DEMO_GROUPS.breakGlassExclusion.displayName,
          [DEMO_GROUPS.temporaryExclusion.id]: DEMO_GROUPS.temporaryExclusion.displayName,
        },
      }),
    ]);

    const after = await backup();
    const between = await call(caBackupDiffHandler, {
      params: { backupId: before.backupId },
      query: { against: after.backupId },
    });
    expect((between.body as unknown as BackupDiffReport).changed.map((c) => c.changes.map((x) => x.path))).toEqual([
      ['conditions.users.excludeGroups'],
    ]);
  });

  it('refuses a hand-edited object file with the file and the reason', async () => {
    const h = harness.current;
    const m = await backup();
    const entry = m.entries.find((e) => e.id === P.signInRisk.id)!;
    const blob = container(h).getBlockBlobClient(`objects/${entry.sha256}.json`);
    const text = (await blob.downloadToBuffer()).toString('utf8').replace('"enabled"', '"disabled"');
    await blob.upload(text, Buffer.byteLength(text));
    const res = await call(caBackupDiffHandler, { params: { backupId: m.backupId } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'BACKUP_CORRUPTED',
      details: { file: `objects/${entry.sha256}.json`, reason: expect.stringMatching(/SHA-256/) as unknown },
    });
  });

  it('refuses a corrupted manifest with the file and the reason, and lists it with its problem', async () => {
    const h = harness.current;
    const m = await backup();
    const blob = container(h).getBlockBlobClient(`${m.backupId}/manifest.json`);
    await blob.upload('{"format":1,', 12);
    const res = await call(caBackupDiffHandler, { params: { backupId: m.backupId } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'BACKUP_CORRUPTED', details: { file: `${m.backupId}/manifest.json` } });
    const list = await call(caBackupsListHandler);
    expect(list.body.value).toContainEqual({ backupId: m.backupId, problem: expect.stringMatching(/not valid JSON/) as unknown });
  });

  it('answers 404 for an unknown backup and 400 for a malformed id or against', async () => {
    expect((await call(caBackupDiffHandler, { params: { backupId: '20200101T000000Z-abcdef' } })).status).toBe(404);
    expect((await call(caBackupDiffHandler, { params: { backupId: '../etc' } })).status).toBe(400);
    const bad = await call(caBackupDiffHandler, {
      params: { backupId: '20200101T000000Z-abcdef' },
      query: { against: 'yesterday' },
    });
    expect(bad.status).toBe(400);
  });
});

describe('CA restore', () => {
  it('re-creates a deleted policy in report-only, only from a plan someone saw, once', async () => {
    const h = harness.current;
    const m = await backup();
    expect((await graphAdmin(h, policyPath(P.untrustedCountries.id), { method: 'DELETE' })).status).toBe(204);

    const refused = await restore({ backupId: m.backupId, dryRun: false });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('PLAN_REQUIRED');

    const dry = await restore({ backupId: m.backupId, policyIds: [P.untrustedCountries.id] });
    expect(dry.status).toBe(200);
    const plan = dry.body as unknown as RestorePlan;
    expect(plan.items).toEqual([
      expect.objectContaining({ action: 'create', displayName: P.untrustedCountries.displayName, droppedReferences: [] }),
    ]);
    expect(plan.items[0]!.body).toMatchObject({ state: 'enabledForReportingButNotEnforced' });
    expect(await livePolicy(h, P.untrustedCountries.id)).toBeUndefined();

    const applied = await restore({ backupId: m.backupId, dryRun: false, planId: plan.planId });
    expect(applied.status).toBe(200);
    const done = applied.body as unknown as RestorePlan;
    expect(done.status).toBe('succeeded');
    const createdId = done.items[0]!.createdPolicyId!;
    const created = await livePolicy(h, createdId);
    expect(created).toMatchObject({ displayName: P.untrustedCountries.displayName, state: 'enabledForReportingButNotEnforced' });

    const again = await restore({ backupId: m.backupId, dryRun: false, planId: plan.planId });
    expect((again.body as unknown as RestorePlan).items[0]!.createdPolicyId).toBe(createdId);
    const all = (await graphAdmin(h, '/v1.0/identity/conditionalAccess/policies')).body as { value: { displayName: string }[] };
    expect(all.value.filter((p) => p.displayName === P.untrustedCountries.displayName)).toHaveLength(1);
  });

  it('refuses to overwrite a policy someone edited between plan and apply', async () => {
    const h = harness.current;
    const m = await backup();
    await graphAdmin(h, policyPath(P.mfaForAdmins.id), { method: 'PATCH', body: { state: 'disabled' } });
    const plan = (await restore({ backupId: m.backupId, policyIds: [P.mfaForAdmins.id] })).body as unknown as RestorePlan;
    expect(plan.items[0]).toMatchObject({ action: 'update' });
    expect(plan.items[0]!.changes).toContainEqual(expect.objectContaining({ path: 'state', old: 'disabled', new: 'enabled' }));

    await graphAdmin(h, policyPath(P.mfaForAdmins.id), {
      method: 'PATCH',
      body: { displayName: 'Require MFA for admins (edited)' },
    });
    const res = await restore({ backupId: m.backupId, dryRun: false, planId: plan.planId });
    const done = res.body as unknown as RestorePlan;
    expect(done.status).toBe('failed');
    expect(done.items[0]).toMatchObject({ outcome: 'refused', outcomeCode: 'POLICY_CHANGED_SINCE_PLAN' });
    expect(await livePolicy(h, P.mfaForAdmins.id)).toMatchObject({
      state: 'disabled',
      displayName: 'Require MFA for admins (edited)',
    });
  });

  it('reports references to deleted groups, never sends them, and maps a re-created namesake by name', async () => {
    const h = harness.current;
    const m = await backup();
    await graphAdmin(h, policyPath(P.compliantDevice.id), { method: 'DELETE' });
    expect((await graphAdmin(h, `/v1.0/groups/${DEMO_GROUPS.temporaryExclusion.id}`, { method: 'DELETE' })).status).toBe(204);

    const plan = (await restore({ backupId: m.backupId, policyIds: [P.compliantDevice.id] })).body as unknown as RestorePlan;
    const item = plan.items[0]!;
    expect(item.action).toBe('create');
    expect(item.droppedReferences).toEqual([
      expect.objectContaining({
        id: DEMO_GROUPS.temporaryExclusion.id,
        kind: 'group',
        name: DEMO_GROUPS.temporaryExclusion.displayName,
      }),
    ]);
    expect(JSON.stringify(item.body)).not.toContain(DEMO_GROUPS.temporaryExclusion.id);

    const namesake = (
      await graphAdmin(h, '/v1.0/groups', {
        method: 'POST',
        body: {
          displayName: DEMO_GROUPS.temporaryExclusion.displayName,
          mailEnabled: false,
          mailNickname: 'catemp',
          securityEnabled: true,
        },
      })
    ).body as { id: string };
    const mapped = (await restore({ backupId: m.backupId, policyIds: [P.compliantDevice.id] })).body as unknown as RestorePlan;
    expect(mapped.items[0]!.droppedReferences).toEqual([]);
    expect(mapped.items[0]!.mappedReferences).toEqual([
      expect.objectContaining({ id: DEMO_GROUPS.temporaryExclusion.id, mappedTo: namesake.id }),
    ]);
  });

  it('never removes break-glass exclusions: a restored policy keeps (and gains) them', async () => {
    const h = harness.current;
    const m = await backup();
    await graphAdmin(h, policyPath(P.signInRisk.id), { method: 'PATCH', body: { state: 'disabled' } });
    const plan = (await restore({ backupId: m.backupId, policyIds: [P.signInRisk.id] })).body as unknown as RestorePlan;
    const users = (plan.items[0]!.body as { conditions: { users: { excludeUsers: string[]; excludeGroups: string[] } } })
      .conditions.users;
    expect(users.excludeUsers).toEqual(expect.arrayContaining(BG_USERS));
    expect(users.excludeGroups).toContain(DEMO_GROUPS.breakGlassExclusion.id);
    expect(plan.items[0]!.breakGlassExclusionsAdded.sort()).toEqual([...BG_USERS, DEMO_GROUPS.breakGlassExclusion.id].sort());
  });

  it('validates the body: unknown policy ids, bad state, unknown plan, extra fields', async () => {
    const m = await backup();
    const unknownPolicy = await restore({ backupId: m.backupId, policyIds: ['not-in-backup'] });
    expect(unknownPolicy.status).toBe(400);
    expect(unknownPolicy.body.error?.code).toBe('POLICY_NOT_IN_BACKUP');
    expect((await restore({ backupId: m.backupId, state: 'on' })).status).toBe(400);
    expect((await restore({ backupId: m.backupId, surprise: true })).status).toBe(400);
    const noPlan = await restore({ backupId: m.backupId, dryRun: false, planId: '3f0c5d1e-8a9b-4c2d-9e1f-0a1b2c3d4e5f' });
    expect(noPlan.status).toBe(404);
    expect(noPlan.body.error?.code).toBe('PLAN_NOT_FOUND');
  });
});
