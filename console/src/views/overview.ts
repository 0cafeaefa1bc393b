/** Health, the last 24 h of sync runs (Graph requests and throttling), problems, imports in progress, open tickets. */
import { append, cards, h, statusBadge, table, when } from '../dom';
import type { HealthReport, Overview } from '../models';
import { registerView } from '../registry';
import { progressBar } from '../widgets';

const healthCards = (health: HealthReport): HTMLElement[] => {
  const dep = (d: HealthReport['graph']) =>
    h('span', {}, statusBadge(d.ok ? 'ok' : 'failed'), ` ${d.latencyMs} ms`, d.detail ? ` (${d.detail})` : '');
  return [
    h('h2', {}, 'Health'),
    cards('Health', [
      ['App', statusBadge(health.status)],
      ['Microsoft Graph', dep(health.graph)],
      ['Storage', dep(health.storage)],
      ['Version', health.version],
    ]),
  ];
};

const syncSection = (s: Overview['sync']): HTMLElement[] => [
  h('h2', {}, 'Group sync, last 24 hours'),
  cards('Group sync, last 24 hours', [
    ['Runs', s.runs],
    ['Succeeded', s.byStatus.succeeded],
    ['Failed', s.byStatus.failed],
    ['Blocked by limits', s.byStatus.blocked],
    ['Partly failed', s.byStatus.partial],
    ['Graph requests (HTTP calls)', s.graphRequests.httpCalls],
    ['Requests inside $batch', s.graphRequests.subRequests],
    ['Throttled (429)', s.graphRequests.throttled],
  ]),
  h('h2', {}, 'Runs that need attention'),
  table(
    'Failed, blocked or partly failed runs in the last 24 hours',
    [
      { header: 'Job', cell: (r) => h('a', { href: `#/sync/jobs/${r.jobId}` }, r.jobName) },
      { header: 'Status', cell: (r) => statusBadge(r.status) },
      { header: 'Started', cell: (r) => when(r.startedAt) },
      { header: 'Errors', cell: (r) => r.errorCount, numeric: true },
      { header: 'Details', cell: (r) => h('a', { href: `#/sync/runs/${r.runId}` }, `Run ${r.runId.slice(0, 8)}`) },
    ],
    s.problems,
    'none.',
  ),
];

const importsAndTickets = (overview: Overview): HTMLElement[] => [
  h('h2', {}, 'Phone imports in progress'),
  table(
    'Phone imports validating or running',
    [
      { header: 'File', cell: (i) => h('a', { href: `#/phones/${i.importId}` }, i.file) },
      { header: 'Status', cell: (i) => statusBadge(i.status) },
      { header: 'Progress', cell: (i) => progressBar(i, `Progress of ${i.file}`) },
      { header: 'Started', cell: (i) => when(i.createdAt) },
    ],
    overview.phoneImports.inProgress,
    'none.',
  ),
  h('h2', {}, 'Risk tickets'),
  cards('Risk tickets', [['Open', h('a', { href: '#/tickets?state=open' }, String(overview.tickets.open))]]),
  h('p', {}, h('a', { href: '#/tickets' }, 'All tickets')),
];

registerView({
  path: '/',
  nav: { label: 'Overview', order: 0 },
  async render({ api, root, signal, title }) {
    title('Overview');
    // /api/health answers 503 with the same report when degraded, so read it whatever the status.
    const [health, overview] = await Promise.all([
      api.probe<HealthReport>('health', signal),
      api.get<Overview>('overview', signal),
    ]);
    append(root, ...healthCards(health), ...syncSection(overview.sync), ...importsAndTickets(overview));
  },
});
