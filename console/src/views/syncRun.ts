import { query } from '../api';
import { announce, append, cards, errorBox, fill, h, statusBadge, table, when } from '../dom';
import type { MemberPage, NamedMember, SyncRun } from '../models';
import { registerView, type ViewContext } from '../registry';
import { pause } from '../widgets';

/**
 * One run: status, counts, Graph requests, the limits it hit, and the plan as people (names and UPNs, paged from
 * the API), with per-member errors. A dry run that stays within its limits can be applied from here.
 */
const PAGE = 50;

function memberTable(ctx: ViewContext, run: SyncRun, list: MemberPage['list'], caption: string): HTMLElement {
  const box = h('section', { 'aria-label': caption });
  let skip = 0;
  const load = async () => {
    const page = await ctx.api.get<MemberPage>(`sync/runs/${run.runId}/members${query({ list, skip, top: PAGE })}`, ctx.signal);
    const columns = [
      { header: 'Display name', cell: (m: NamedMember) => m.displayName ?? (m.found ? '—' : 'deleted object') },
      { header: 'User principal name', cell: (m: NamedMember) => m.userPrincipalName ?? '—' },
      { header: 'Type', cell: (m: NamedMember) => m.type },
      { header: 'Object id', cell: (m: NamedMember) => h('code', {}, m.id) },
      ...(list === 'errors'
        ? [{ header: 'Error', cell: (m: NamedMember) => (m.error ? `${m.error.code}: ${m.error.message}` : '') }]
        : []),
    ];
    const prev = h('button', { type: 'button', class: 'secondary', disabled: skip === 0 }, 'Previous');
    const next = h('button', { type: 'button', class: 'secondary', disabled: skip + PAGE >= page.total }, 'Next');
    prev.addEventListener('click', () => {
      skip = Math.max(0, skip - PAGE);
      void load();
    });
    next.addEventListener('click', () => {
      skip += PAGE;
      void load();
    });
    const range = page.total === 0 ? '' : ` (${skip + 1}–${Math.min(skip + PAGE, page.total)} of ${page.total})`;
    fill(
      box,
      table(`${caption}${range}`, columns, page.value, 'none.'),
      page.total > PAGE ? h('div', { class: 'pager' }, prev, next) : null,
    );
  };
  void load().catch((err: unknown) => fill(box, errorBox(err)));
  return box;
}

function applyButton(ctx: ViewContext, run: SyncRun): HTMLElement | null {
  if (!run.dryRun || run.status === 'running') return null;
  if (run.status === 'blocked' || run.status === 'failed') {
    return h('p', { class: 'notice' }, 'This plan cannot be applied as it is: fix the job (or its limits) and dry-run again.');
  }
  const status = h('div', {});
  const button = h('button', { type: 'button' }, 'Apply now');
  button.addEventListener('click', () => {
    button.disabled = true;
    button.textContent = 'Applying…';
    announce('Applying the job: reading the groups again and writing the changes.');
    ctx.api
      .send<SyncRun>('POST', `sync/jobs/${run.jobId}/run`)
      .then((applied) => ctx.navigate(`/sync/runs/${applied.runId}`))
      .catch((err: unknown) => {
        button.disabled = false;
        button.textContent = 'Apply now';
        status.replaceChildren(errorBox(err));
      });
  });
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'actions' },
      button,
      h(
        'span',
        { class: 'muted' },
        'Runs the job for real: the groups are read again and the plan recomputed, so the limits are checked on what is true now.',
      ),
    ),
    status,
  );
}

registerView({
  path: '/sync/runs/:runId',
  section: '/sync',
  async render(ctx) {
    const runId = ctx.params.runId ?? '';
    let run = await ctx.api.get<SyncRun>(`sync/runs/${runId}`, ctx.signal);
    ctx.title(`${run.dryRun ? 'Dry run' : 'Run'} of ${run.jobName}`);
    const waiting = h('p', { role: 'status' }, 'This run is still going; the page updates when it ends.');
    if (run.status === 'running') append(ctx.root, waiting);
    while (run.status === 'running' && !ctx.signal.aborted) {
      await pause(2000, ctx.signal);
      run = await ctx.api.get<SyncRun>(`sync/runs/${runId}`, ctx.signal);
    }
    waiting.remove();
    append(
      ctx.root,
      h('p', {}, h('a', { href: `#/sync/jobs/${run.jobId}` }, `Back to ${run.jobName}`)),
      cards('Run', [
        ['Status', statusBadge(run.status)],
        ['Kind', run.dryRun ? 'dry run (nothing changed)' : `applied (${run.trigger}, by ${run.actor})`],
        ['Started', when(run.startedAt)],
        ['Finished', when(run.finishedAt)],
        ['Target', `${run.target.displayName} (${run.target.memberCount ?? '?'} members)`],
        ['Sources', run.sources.map((s) => s.displayName).join(', ')],
      ]),
      h('h2', {}, run.dryRun ? 'Plan' : 'Changes'),
      cards(run.dryRun ? 'Plan' : 'Changes', [
        [run.dryRun ? 'Would add' : 'Added', run.dryRun ? run.plan.add.length : run.counts.added],
        [run.dryRun ? 'Would remove' : 'Removed', run.dryRun ? run.plan.remove.length : run.counts.removed],
        ['Unchanged', run.counts.unchanged],
        ['Failed', run.counts.failed],
        ['Desired members', run.counts.desired],
        ['Current members', run.counts.current],
      ]),
    );
    if (run.blockedBy?.length) {
      append(
        ctx.root,
        h(
          'div',
          { class: 'alert', role: 'alert' },
          h('p', {}, 'Limits this plan exceeds (nothing was applied):'),
          h('ul', {}, ...run.blockedBy.map((b) => h('li', {}, `${b.limit}: allowed ${b.allowed}, planned ${b.planned}`))),
        ),
      );
    }
    append(ctx.root, ...run.warnings.map((w) => h('p', { class: 'notice' }, w)), applyButton(ctx, run));
    append(
      ctx.root,
      h('h2', {}, 'Graph requests'),
      cards('Graph requests', [
        ['HTTP calls', run.graphRequests.httpCalls],
        ['Requests inside $batch', run.graphRequests.subRequests],
        ['Throttled (429)', run.graphRequests.throttled],
        ['Retries', run.graphRequests.retries],
      ]),
      h('h2', {}, 'Members to add'),
      memberTable(ctx, run, 'add', run.dryRun ? 'Members this run would add' : 'Members planned for adding'),
      h('h2', {}, 'Members to remove'),
      memberTable(ctx, run, 'remove', run.dryRun ? 'Members this run would remove' : 'Members planned for removal'),
    );
    if (run.errors.length > 0) append(ctx.root, h('h2', {}, 'Errors'), memberTable(ctx, run, 'errors', 'Members that failed'));
  },
});
