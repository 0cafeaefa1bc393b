import { append, h, statusBadge, table, when } from '../dom';
import type { RunSummary, SyncJob } from '../models';
import { registerView } from '../registry';

/** Every sync job with its last run's status. */
registerView({
  path: '/sync',
  nav: { label: 'Sync jobs', order: 10 },
  async render({ api, root, signal, title }) {
    title('Sync jobs');
    append(root, h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/sync/new' }, 'New sync job')));
    const jobs = (await api.get<{ value: SyncJob[] }>('sync/jobs', signal)).value.sort((a, b) => a.name.localeCompare(b.name));
    const last = await Promise.all(
      jobs.map(async (j) => (await api.get<{ value: RunSummary[] }>(`sync/jobs/${j.jobId}/runs?top=1`, signal)).value[0]),
    );
    append(
      root,
      table(
        'Sync jobs',
        [
          { header: 'Name', cell: ({ job }) => h('a', { href: `#/sync/jobs/${job.jobId}` }, job.name) },
          { header: 'Target', cell: ({ job }) => job.targetName },
          { header: 'Sources', cell: ({ job }) => job.sources.map((s) => s.displayName).join(', ') },
          { header: 'Mode', cell: ({ job }) => job.mode },
          { header: 'Enabled', cell: ({ job }) => (job.enabled ? 'yes' : 'no') },
          {
            header: 'Last run',
            cell: ({ run }) =>
              run
                ? h(
                    'span',
                    {},
                    statusBadge(run.status),
                    run.dryRun ? ' (dry run) ' : ' ',
                    h('a', { href: `#/sync/runs/${run.runId}` }, when(run.startedAt)),
                  )
                : 'never',
          },
        ],
        jobs.map((job, i) => ({ job, run: last[i] })),
        'no jobs yet. Create one with “New sync job”.',
      ),
    );
  },
});
