import { ApiError } from '../api';
import { append, cards, errorBox, fill, h, statusBadge, table, when } from '../dom';
import type { BackupDiffReport, BackupManifest, BackupSummary, BreakGlassRun, GuestRiskReport } from '../models';
import { registerView } from '../registry';

/**
 * Conditional Access: break-glass status (checked now, nothing changed), guest-risk findings, the policy backups with
 * a button to take one, and a backup's differences from the live policies. Restore stays an API call (`POST
 * /api/ca/restore`): it writes policies and deserves a reviewed plan, not a button next to a list.
 */
type BackupRow = BackupSummary | { backupId: string; problem: string };

const names = (list: readonly { id: string; displayName: string | null }[]): string =>
  list.map((x) => x.displayName ?? x.id).join(', ');

function breakGlass(run: BreakGlassRun): HTMLElement {
  return h(
    'div',
    {},
    cards('Break-glass status', [
      ['Status', statusBadge(run.status)],
      ['Policies checked', run.checkedPolicies],
      ['Policies missing the exclusion', run.violations.length],
      ['Checked', when(run.finishedAt ?? run.startedAt)],
    ]),
    ...run.configurationErrors.map((e) => h('p', { class: 'alert', role: 'alert' }, `${e.id}: ${e.problem}`)),
    table(
      'Policies that do not exclude every break-glass account',
      [
        { header: 'Policy', cell: (v) => v.policyName },
        { header: 'State', cell: (v) => v.state },
        { header: 'Accounts not excluded', cell: (v) => names(v.missingUsers) || '—' },
        { header: 'Groups not excluded', cell: (v) => names(v.missingGroups) || '—' },
        { header: 'Fix', cell: (v) => v.fix ?? '—' },
      ],
      run.violations,
      'none.',
    ),
  );
}

function guestRisk(report: GuestRiskReport): HTMLElement {
  const groupName = (id: string) => report.guestGroups.find((g) => g.id === id)?.displayName ?? '';
  return h(
    'div',
    {},
    h('p', {}, `${report.checkedPolicies} policies checked. Dynamic all-guests groups: ${names(report.guestGroups) || 'none'}.`),
    table(
      'Risk policies that include guests without excluding them',
      [
        { header: 'Policy', cell: (f) => f.policyName },
        { header: 'State', cell: (f) => f.state },
        {
          header: 'Risk conditions',
          cell: (f) =>
            [
              f.riskConditions.userRiskLevels.length ? `user risk ${f.riskConditions.userRiskLevels.join('/')}` : '',
              f.riskConditions.signInRiskLevels.length ? `sign-in risk ${f.riskConditions.signInRiskLevels.join('/')}` : '',
            ]
              .filter(Boolean)
              .join('; '),
        },
        {
          header: 'Offered fix',
          cell: (f) =>
            f.fix.excludeGroupId
              ? h('span', {}, `exclude group ${groupName(f.fix.excludeGroupId)} `, h('code', {}, f.fix.excludeGroupId))
              : h('span', {}, 'create a dynamic group ', h('code', {}, f.fix.membershipRule), ' and exclude it'),
        },
      ],
      report.findings,
      'none.',
    ),
  );
}

registerView({
  path: '/ca',
  nav: { label: 'Conditional Access', order: 40 },
  async render({ api, root, signal, title, navigate }) {
    title('Conditional Access');
    const bg = h('div', { 'aria-live': 'polite' }, h('p', { role: 'status' }, 'Checking break-glass exclusions…'));
    const guests = h('div', {}, h('p', {}, 'Checking risk policies…'));
    const status = h('div', { tabindex: -1 });
    const create = h('button', { type: 'button' }, 'Back up now');
    const backups = h('div', {});
    append(
      root,
      h('h2', {}, 'Break-glass accounts'),
      bg,
      h('h2', {}, 'Guests and risk policies'),
      guests,
      h('h2', {}, 'Policy backups'),
      h('div', { class: 'actions' }, create),
      status,
      backups,
    );
    create.addEventListener('click', () => {
      create.disabled = true;
      status.replaceChildren(h('p', { role: 'status' }, 'Exporting the policies…'));
      api
        .send<BackupManifest>('POST', 'ca/backups')
        .then((m) => navigate(`/ca/backups/${m.backupId}`))
        .catch((err: unknown) => {
          create.disabled = false;
          status.replaceChildren(errorBox(err));
          status.focus();
        });
    });
    // The guard answers 409 with its run record when the configuration is wrong: that is a status to show.
    const showBreakGlass = api.probe<BreakGlassRun | { error: { code: string; message: string } }>('ca/break-glass', signal).then(
      (r) => {
        if ('error' in r) throw new ApiError(0, r.error.code, r.error.message);
        fill(bg, breakGlass(r));
      },
      (err: unknown) => fill(bg, errorBox(err)),
    );
    const showGuests = api.get<GuestRiskReport>('ca/guest-risk', signal).then(
      (r) => fill(guests, guestRisk(r)),
      (err: unknown) => fill(guests, errorBox(err)),
    );
    const list = (await api.get<{ value: BackupRow[] }>('ca/backups', signal)).value;
    fill(
      backups,
      table(
        'Backups, newest first',
        [
          { header: 'Backup', cell: (b) => h('a', { href: `#/ca/backups/${b.backupId}` }, b.backupId) },
          { header: 'Taken', cell: (b) => ('problem' in b ? b.problem : when(b.createdAt)) },
          { header: 'By', cell: (b) => ('problem' in b ? '—' : b.trigger) },
          { header: 'Policies', cell: (b) => ('problem' in b ? '—' : b.counts.policies), numeric: true },
          { header: 'Named locations', cell: (b) => ('problem' in b ? '—' : b.counts.namedLocations), numeric: true },
          { header: 'Unresolved ids', cell: (b) => ('problem' in b ? '—' : b.counts.unresolvedIds), numeric: true },
        ],
        list,
        'none yet.',
      ),
    );
    await Promise.all([showBreakGlass, showGuests]);
  },
});

const shown = (value: unknown): string => (value === undefined ? '(absent)' : JSON.stringify(value));

registerView({
  path: '/ca/backups/:backupId',
  section: '/ca',
  async render({ api, params, root, signal, title }) {
    const id = params.backupId ?? '';
    title(`Backup ${id} compared with live`);
    append(root, h('p', {}, h('a', { href: '#/ca' }, 'Conditional Access')));
    const diff = await api.get<BackupDiffReport>(`ca/backups/${encodeURIComponent(id)}/diff?against=live`, signal);
    const ref = (p: { displayName: string; state: string }) => `${p.displayName} (${p.state})`;
    append(
      root,
      cards('Differences from live', [
        ['Added since', diff.added.length],
        ['Removed since', diff.removed.length],
        ['Changed', diff.changed.length],
        ['Unchanged', diff.unchanged],
      ]),
      h('h2', {}, 'Added and removed policies'),
      table(
        'Policies added or removed since the backup',
        [
          { header: 'Policy', cell: (p) => ref(p) },
          { header: 'Change', cell: (p) => p.change },
        ],
        [
          ...diff.added.map((p) => ({ ...p, change: 'added live' })),
          ...diff.removed.map((p) => ({ ...p, change: 'removed live' })),
        ],
        'none.',
      ),
      h('h2', {}, 'Changed policies'),
      ...(diff.changed.length === 0
        ? [h('p', { class: 'muted' }, 'No policy changed since the backup.')]
        : diff.changed.map((p) =>
            table(
              `Changes to ${ref(p)}`,
              [
                { header: 'Property', cell: (c) => h('code', {}, c.path) },
                { header: 'In the backup', cell: (c) => shown(c.old) },
                { header: 'Live', cell: (c) => shown(c.new) },
                {
                  header: 'Names',
                  cell: (c) =>
                    Object.entries(c.names ?? {})
                      .map(([k, v]) => `${k.slice(0, 8)}… = ${v ?? 'unknown'}`)
                      .join('; ') || '—',
                },
              ],
              p.changes,
            ),
          )),
    );
  },
});
