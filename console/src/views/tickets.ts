import { query } from '../api';
import { append, cards, errorBox, fill, h, statusBadge, table, when } from '../dom';
import type { RiskTicket, TimelineEntry } from '../models';
import { registerView } from '../registry';

/**
 * Risk tickets: the list (state, member/guest, user) and one ticket with its text and timeline. The API filters by
 * user object id; a name or UPN typed in the user box is matched here, on the names the tickets carry.
 */
type TicketSummary = Omit<RiskTicket, 'timeline' | 'sections' | 'seen'>;
type TicketDetail = Omit<RiskTicket, 'seen'>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const person = (t: TicketSummary): HTMLElement =>
  h(
    'span',
    {},
    t.displayName ?? t.userPrincipalName,
    t.displayName ? h('span', { class: 'muted' }, ` ${t.userPrincipalName}`) : null,
  );

const select = (id: string, label: string, values: readonly string[], chosen: string | null): HTMLSelectElement =>
  h(
    'select',
    { id, name: id.replace(/^filter-/, '') },
    h('option', { value: '' }, label),
    ...values.map((v) => h('option', { value: v, selected: v === chosen }, v)),
  );

const ticketTable = (shown: TicketSummary[]): HTMLElement =>
  table(
    `Tickets: ${shown.length}, newest first`,
    [
      { header: 'User', cell: (t) => h('a', { href: `#/tickets/${encodeURIComponent(t.ticketId)}` }, person(t)) },
      { header: 'Kind', cell: (t) => t.kind },
      { header: 'State', cell: (t) => statusBadge(t.state) },
      { header: 'Reason', cell: (t) => (t.reason === 'homeTenantBlock' ? 'blocked by home tenant' : 'user risk') },
      { header: 'Risk', cell: (t) => [t.riskLevel, t.riskState].filter(Boolean).join(', ') || '—' },
      { header: 'Signals', cell: (t) => t.signalCount, numeric: true },
      { header: 'Ticket system', cell: (t) => `${t.provider.provider} (${t.provider.status})` },
      { header: 'Updated', cell: (t) => when(t.updatedAt) },
    ],
    shown,
    'none match.',
  );

registerView({
  path: '/tickets',
  nav: { label: 'Tickets', order: 30 },
  async render({ api, root, signal, title, query: params }) {
    title('Risk tickets');
    const state = select('filter-state', 'any state', ['open', 'resolved'], params.get('state'));
    const kind = select('filter-kind', 'members and guests', ['member', 'guest'], params.get('kind'));
    const user = h('input', { type: 'search', id: 'filter-user', name: 'user', 'aria-describedby': 'filter-user-hint' });
    user.value = params.get('user') ?? '';
    const out = h('div', { 'aria-live': 'polite' });
    const load = async () => {
      const typed = user.value.trim();
      const byId = GUID.test(typed);
      const list = (
        await api.get<{ value: TicketSummary[] }>(
          `tickets${query({ state: state.value, kind: kind.value, userId: byId ? typed : undefined })}`,
          signal,
        )
      ).value;
      const needle = typed.toLowerCase();
      const shown =
        byId || !needle
          ? list
          : list.filter((t) => `${t.displayName ?? ''} ${t.userPrincipalName}`.toLowerCase().includes(needle));
      fill(out, ticketTable(shown));
    };
    const form = h(
      'form',
      { class: 'filters', role: 'search', 'aria-label': 'Filter tickets' },
      h('div', {}, h('label', { for: 'filter-state' }, 'State'), state),
      h('div', {}, h('label', { for: 'filter-kind' }, 'Kind'), kind),
      h(
        'div',
        {},
        h('label', { for: 'filter-user' }, 'User'),
        h('p', { class: 'hint', id: 'filter-user-hint' }, 'name, UPN or object id'),
        user,
      ),
      h('div', {}, h('button', { type: 'submit' }, 'Filter')),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      load().catch((err: unknown) => fill(out, errorBox(err)));
    });
    append(root, form, out);
    await load();
  },
});

const ENTRY_LABEL: Record<TimelineEntry['type'], string> = {
  signal: 'Signal',
  opened: 'Opened',
  updated: 'Updated',
  resolved: 'Resolved',
  provider: 'Ticket system',
};

registerView({
  path: '/tickets/:ticketId',
  section: '/tickets',
  async render({ api, params, root, signal, title }) {
    const t = await api.get<TicketDetail>(`tickets/${encodeURIComponent(params.ticketId ?? '')}`, signal);
    title(`Ticket: ${t.displayName ?? t.userPrincipalName}`);
    const external = t.provider.url
      ? h('a', { href: t.provider.url, rel: 'noopener noreferrer', target: '_blank' }, t.provider.displayId ?? t.provider.url)
      : (t.provider.displayId ?? t.provider.externalId ?? '—');
    append(
      root,
      h('p', {}, h('a', { href: '#/tickets' }, 'All tickets')),
      h('p', {}, statusBadge(t.state), ` ${t.title}`),
      cards('Ticket', [
        ['User', person(t)],
        ['Object id', h('code', {}, t.userId)],
        ['Kind', t.kind],
        ['Severity', t.severity],
        ['Risk', [t.riskLevel, t.riskState, t.riskDetail].filter(Boolean).join(', ') || '—'],
        ['Episode started', when(t.episodeStart)],
        ['Opened', when(t.createdAt)],
        ['Resolved', t.resolvedAt ? `${when(t.resolvedAt)}${t.resolution ? ` (${t.resolution})` : ''}` : 'not yet'],
        ['Ticket system', h('span', {}, `${t.provider.provider}, ${t.provider.status}: `, external)],
      ]),
      t.provider.lastError ? h('p', { class: 'alert', role: 'alert' }, `Ticket system: ${t.provider.lastError}`) : null,
      ...t.sections.flatMap((s) => [h('h2', {}, s.heading), h('ul', {}, ...s.lines.map((l) => h('li', {}, l)))]),
      h('h2', {}, 'Timeline'),
      table(
        'Timeline',
        [
          { header: 'When', cell: (e: TimelineEntry) => when(e.at) },
          { header: 'What', cell: (e: TimelineEntry) => ENTRY_LABEL[e.type] },
          { header: 'Source', cell: (e: TimelineEntry) => e.source },
          { header: 'Details', cell: (e: TimelineEntry) => e.text },
        ],
        t.timeline,
        'no entries.',
      ),
    );
  },
});
