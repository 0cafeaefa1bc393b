/** One job: its settings, a dry run, edit and delete, and its run history. */
import { append, cards, errorBox, h, statusBadge, table, when } from '../dom';
import type { RunSummary, SyncJob, SyncRun } from '../models';
import { registerView, type ViewContext } from '../registry';

/** Dry run (opens the plan), edit and delete; outcomes and errors go to `status`. */
function jobActions({ api, navigate }: ViewContext, job: SyncJob, status: HTMLElement): HTMLElement {
  const dryRun = h('button', { type: 'button' }, 'Dry run');
  dryRun.addEventListener('click', () => {
    dryRun.disabled = true;
    dryRun.textContent = 'Planning…';
    status.replaceChildren(h('p', { role: 'status' }, 'Reading the groups and planning; nothing is changed.'));
    api
      .send<SyncRun>('POST', `sync/jobs/${job.jobId}/run?dryRun=true`)
      .then((run) => navigate(`/sync/runs/${run.runId}`))
      .catch((err: unknown) => {
        status.replaceChildren(errorBox(err));
        dryRun.disabled = false;
        dryRun.textContent = 'Dry run';
      });
  });
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete job');
  remove.addEventListener('click', () => {
    if (!window.confirm(`Delete the sync job “${job.name}”? Group memberships stay as they are.`)) return;
    api
      .send('DELETE', `sync/jobs/${job.jobId}`)
      .then(() => navigate('/sync'))
      .catch((err: unknown) => status.replaceChildren(errorBox(err)));
  });
  const edit = h('a', { class: 'button secondary', href: `#/sync/jobs/${job.jobId}/edit` }, 'Edit');
  return h('div', { class: 'actions' }, dryRun, edit, remove);
}

const jobSettings = (job: SyncJob): HTMLElement =>
  cards('Job settings', [
    ['Target', job.targetName],
    ['Sources', job.sources.map((s) => `${s.displayName}${s.transitive ? ' (nested too)' : ''}`).join(', ')],
    ['Excluded', job.exclude.map((s) => s.displayName).join(', ') || 'none'],
    ['Mode', job.mode],
    ['Member types', job.memberTypes.join(', ')],
    [
      'Limits',
      Object.entries(job.limits)
        .map(([k, v]) => `${k} ${String(v)}`)
        .join(', ') || 'none',
    ],
    ['Schedule (UTC)', job.schedule ?? 'on demand only'],
    ['Enabled', job.enabled ? 'yes' : 'no'],
  ]);

const runHistory = (runs: RunSummary[]): HTMLElement =>
  table(
    'Runs, newest first',
    [
      { header: 'Started', cell: (r) => h('a', { href: `#/sync/runs/${r.runId}` }, when(r.startedAt)) },
      { header: 'Status', cell: (r) => statusBadge(r.status) },
      { header: 'Kind', cell: (r) => (r.dryRun ? 'dry run' : `applied (${r.trigger})`) },
      { header: 'Added', cell: (r) => r.counts.added, numeric: true },
      { header: 'Removed', cell: (r) => r.counts.removed, numeric: true },
      { header: 'Failed', cell: (r) => r.counts.failed, numeric: true },
      { header: 'Graph calls', cell: (r) => r.graphRequests.httpCalls, numeric: true },
      { header: 'Throttled', cell: (r) => r.graphRequests.throttled, numeric: true },
    ],
    runs,
    'this job has not run yet.',
  );

registerView({
  path: '/sync/jobs/:jobId',
  section: '/sync',
  async render(ctx) {
    const jobId = ctx.params.jobId ?? '';
    const job = await ctx.api.get<SyncJob>(`sync/jobs/${jobId}`, ctx.signal);
    ctx.title(`Sync job: ${job.name}`);
    const status = h('div', {});
    append(
      ctx.root,
      jobActions(ctx, job, status),
      status,
      jobSettings(job),
      ...job.warnings.map((w) => h('p', { class: 'notice' }, w)),
      h('h2', {}, 'Run history'),
    );
    const runs = (await ctx.api.get<{ value: RunSummary[] }>(`sync/jobs/${jobId}/runs?top=50`, ctx.signal)).value;
    append(ctx.root, runHistory(runs));
  },
});
