/** One import: a live progress bar until it ends, then its results, filterable by status and text, and the file. */
import { query } from '../api';
import { announce, append, cards, errorBox, fill, h, statusBadge, table } from '../dom';
import type { ImportProgress, ResultRow, RowPage } from '../models';
import { registerView, type ViewContext } from '../registry';
import { pause, progressBar, saveBlob } from '../widgets';

const STATUSES = ['created', 'updated', 'unchanged', 'smsEnabled', 'conflict', 'failed', 'skipped'] as const;
const PAGE = 100;

const rowsTable = (page: RowPage): HTMLElement =>
  table(
    `Result rows: ${page.total} ${page.total === 1 ? 'match' : 'matches'}`,
    [
      { header: 'Line', cell: (r: ResultRow) => r.line, numeric: true },
      { header: 'User', cell: (r: ResultRow) => r.user },
      { header: 'Phone (masked)', cell: (r: ResultRow) => h('span', { class: 'mono' }, r.phoneNumber) },
      { header: 'Status', cell: (r: ResultRow) => statusBadge(r.status) },
      { header: 'Action', cell: (r: ResultRow) => r.action },
      { header: 'Reason', cell: (r: ResultRow) => r.reason },
    ],
    page.value,
    'no rows match.',
  );

/** The filter inputs: a status and text in the user, action or reason (suggesting the import's reasons). */
function rowFilters() {
  const status = h(
    'select',
    { id: 'filter-status', name: 'status' },
    h('option', { value: '' }, 'any status'),
    ...STATUSES.map((s) => h('option', { value: s }, s)),
  );
  const text = h('input', { type: 'search', id: 'filter-text', name: 'q', 'aria-describedby': 'filter-hint' });
  const reasons = h('datalist', { id: 'filter-reasons' });
  text.setAttribute('list', 'filter-reasons');
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter result rows' },
    h('div', {}, h('label', { for: 'filter-status' }, 'Status'), status),
    h(
      'div',
      {},
      h('label', { for: 'filter-text' }, 'User or reason contains'),
      h('p', { class: 'hint', id: 'filter-hint' }, 'e.g. not found, licence'),
      text,
      reasons,
    ),
    h('div', {}, h('button', { type: 'submit' }, 'Filter')),
  );
  return { form, status, text, reasons };
}

function downloadButton(ctx: ViewContext, progress: ImportProgress, out: HTMLElement): HTMLElement {
  const download = h('button', { type: 'button', class: 'secondary' }, 'Download results file (CSV)');
  download.addEventListener('click', () => {
    ctx.api
      .download(`phone-imports/${progress.importId}/results`)
      .then((blob) => saveBlob(blob, progress.resultsBlob?.split('/').pop() ?? 'results.csv'))
      .catch((err: unknown) => out.prepend(errorBox(err)));
  });
  return download;
}

function results(ctx: ViewContext, progress: ImportProgress): HTMLElement {
  const filters = rowFilters();
  const out = h('div', { 'aria-live': 'polite' });
  let skip = 0;
  const load = async () => {
    const q = query({ status: filters.status.value, q: filters.text.value.trim(), skip, top: PAGE });
    const page = await ctx.api.get<RowPage>(`phone-imports/${progress.importId}/rows${q}`, ctx.signal);
    fill(filters.reasons, ...page.reasons.map((r) => h('option', { value: r })));
    const prev = h('button', { type: 'button', class: 'secondary', disabled: skip === 0 }, 'Previous');
    const next = h('button', { type: 'button', class: 'secondary', disabled: skip + PAGE >= page.total }, 'Next');
    prev.addEventListener('click', () => void ((skip = Math.max(0, skip - PAGE)), load()));
    next.addEventListener('click', () => void ((skip += PAGE), load()));
    fill(out, rowsTable(page), page.total > PAGE ? h('div', { class: 'pager' }, prev, next) : null);
  };
  filters.form.addEventListener('submit', (event) => {
    event.preventDefault();
    skip = 0;
    load().catch((err: unknown) => fill(out, errorBox(err)));
  });
  load().catch((err: unknown) => fill(out, errorBox(err)));
  return h(
    'section',
    { 'aria-labelledby': 'results-heading' },
    h('h2', { id: 'results-heading' }, 'Results'),
    h('div', { class: 'actions' }, downloadButton(ctx, progress, out)),
    filters.form,
    out,
  );
}

function summary(p: ImportProgress): HTMLElement {
  return cards('Rows by outcome', [
    ['Rows', p.rows.total],
    ['Created', p.rows.created],
    ['Updated', p.rows.updated],
    ['SMS sign-in enabled', p.rows.smsEnabled],
    ['Unchanged', p.rows.unchanged],
    ['Conflicts', p.rows.conflict],
    ['Failed', p.rows.failed],
    ['Skipped', p.rows.skipped],
  ]);
}

registerView({
  path: '/phones/:importId',
  section: '/phones',
  async render(ctx) {
    const id = ctx.params.importId ?? '';
    let p = await ctx.api.get<ImportProgress>(`phone-imports/${id}`, ctx.signal);
    ctx.title(`Phone import: ${p.file}`);
    const head = h('div', {});
    const live = h('div', {});
    append(ctx.root, h('p', {}, h('a', { href: '#/phones' }, 'All phone imports')), head, live);
    const draw = () => {
      fill(
        head,
        h(
          'p',
          {},
          statusBadge(p.status),
          p.dryRun ? ' Dry run: nothing is written to the directory.' : ' Applying to the directory.',
        ),
        progressBar(p, 'Import progress'),
      );
      fill(live, summary(p));
    };
    draw();
    let last = p.status;
    while ((p.status === 'validating' || p.status === 'running') && !ctx.signal.aborted) {
      await pause(1000, ctx.signal);
      if (ctx.signal.aborted) return;
      p = await ctx.api.get<ImportProgress>(`phone-imports/${id}`, ctx.signal);
      draw();
      if (p.status !== last) announce(`Import ${p.status}`);
      last = p.status;
    }
    if (p.problem)
      append(
        ctx.root,
        h(
          'div',
          { class: 'alert', role: 'alert' },
          `${p.problem.code}: ${p.problem.message}${p.problem.line ? ` (line ${p.problem.line})` : ''}`,
        ),
      );
    if (p.status === 'completed' || p.resultsBlob) append(ctx.root, results(ctx, p));
  },
});
