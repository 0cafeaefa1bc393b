import { describe, expect, it } from 'vitest';

import { jobInputSchema } from '../../shared/sync/jobModel';
import { createJob, deleteJob, replaceJob } from '../../shared/sync/jobs';
import { jobDeps, world } from './fakes';

const input = (body: Record<string, unknown>) => jobInputSchema.parse(body);

describe('job management', () => {
  it('resolves exact display names to ids once, at save time', async () => {
    const w = world();
    const source = w.dir.group(1, [], { displayName: 'Group1Name' });
    const target = w.dir.group(2, [], { displayName: 'Group2Name' });
    const job = await createJob(
      jobDeps(w),
      input({ name: 'seed', target: 'Group2Name', sources: [{ group: 'Group1Name' }] }),
      'me',
    );
    expect(job).toMatchObject({
      target,
      targetName: 'Group2Name',
      sources: [{ group: source, displayName: 'Group1Name', transitive: false }],
    });
  });

  it('refuses a name that matches several groups and lists the candidates', async () => {
    const w = world();
    w.dir.group(1, [], { displayName: 'Twin' });
    w.dir.group(2, [], { displayName: 'Twin' });
    const target = w.dir.group(3);
    await expect(createJob(jobDeps(w), input({ name: 'x', target, sources: [{ group: 'Twin' }] }), 'me')).rejects.toMatchObject({
      code: 'SYNC_GROUP_AMBIGUOUS',
      details: { candidates: [expect.objectContaining({ memberCount: 0 }), expect.objectContaining({ memberCount: 0 })] },
    });
  });

  it('refuses duplicate sources and an excluded target', async () => {
    const w = world();
    const s = w.dir.group(1, [], { displayName: 'S' });
    const t = w.dir.group(2);
    await expect(
      createJob(jobDeps(w), input({ name: 'x', target: t, sources: [{ group: s }, { group: 'S' }] }), 'me'),
    ).rejects.toMatchObject({ code: 'SYNC_DUPLICATE_SOURCE' });
    await expect(
      createJob(jobDeps(w), input({ name: 'x', target: t, sources: [{ group: s }], exclude: [{ group: t }] }), 'me'),
    ).rejects.toMatchObject({ code: 'SYNC_TARGET_IS_EXCLUDED' });
  });

  it('refuses a job that closes a loop through a chain of jobs', async () => {
    const w = world();
    const [a, b, c] = [w.dir.group(1), w.dir.group(2), w.dir.group(3)];
    await createJob(jobDeps(w), input({ name: 'a->b', target: b, sources: [{ group: a }] }), 'me');
    await createJob(jobDeps(w), input({ name: 'b->c', target: c, sources: [{ group: b }] }), 'me');
    await expect(createJob(jobDeps(w), input({ name: 'c->a', target: a, sources: [{ group: c }] }), 'me')).rejects.toMatchObject({
      code: 'SYNC_JOB_LOOP',
      status: 409,
    });
  });

  it('saves a disabled job on a dynamic target with a warning, and refuses to enable it', async () => {
    const w = world();
    const s = w.dir.group(1);
    const t = w.dir.group(2, [], { groupTypes: ['DynamicMembership'] });
    const job = await createJob(jobDeps(w), input({ name: 'x', target: t, sources: [{ group: s }], enabled: false }), 'me');
    expect(job.warnings.join(' ')).toContain('dynamic membership');
    await expect(
      replaceJob(jobDeps(w), job.jobId, input({ name: 'x', target: t, sources: [{ group: s }], enabled: true }), 'me'),
    ).rejects.toMatchObject({
      code: 'SYNC_TARGET_NOT_WRITABLE',
    });
  });

  it('refuses to overwrite a job someone else changed (etag)', async () => {
    const w = world();
    const s = w.dir.group(1);
    const t = w.dir.group(2);
    const job = await createJob(jobDeps(w), input({ name: 'x', target: t, sources: [{ group: s }] }), 'me');
    const original = w.jobs.replace.bind(w.jobs);
    w.jobs.replace = async (j, etag) => original(j, `${etag}-stale`);
    await expect(
      replaceJob(jobDeps(w), job.jobId, input({ name: 'y', target: t, sources: [{ group: s }] }), 'me'),
    ).rejects.toMatchObject({ code: 'SYNC_JOB_CHANGED', status: 412 });
  });

  it('deletes the job with its snapshots and ledger', async () => {
    const w = world();
    const s = w.dir.group(1);
    const t = w.dir.group(2);
    const job = await createJob(jobDeps(w), input({ name: 'x', target: t, sources: [{ group: s }] }), 'me');
    await w.ledger.saveLedger(job.jobId, new Set(['a']));
    await deleteJob(jobDeps(w), job.jobId);
    expect(w.ledger.ledgers.has(job.jobId)).toBe(false);
    await expect(deleteJob(jobDeps(w), job.jobId)).rejects.toMatchObject({ code: 'SYNC_JOB_NOT_FOUND', status: 404 });
  });
});
