import { ApiError } from '../api';
import { append, errorBox, h } from '../dom';
import type { SyncJob } from '../models';
import { registerView, type ViewContext } from '../registry';

/**
 * Create and edit a sync job. The API validates (names resolved to groups, loops, targets Graph cannot write);
 * its messages are shown next to the fields they name and in a summary that takes focus.
 */
const lines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

function field(id: string, label: string, input: HTMLElement, hint?: string): HTMLElement {
  input.id = id;
  if (hint) input.setAttribute('aria-describedby', `${id}-hint`);
  return h(
    'div',
    { 'data-field': id },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    input,
  );
}

const optionalNumber = (v: string): number | undefined => (v.trim() === '' ? undefined : Number(v));

function jobForm(ctx: ViewContext, job: SyncJob | undefined): void {
  const text = (name: string, value = '') => h('input', { type: 'text', name, value, autocomplete: 'off' });
  const area = (name: string, value: string) => h('textarea', { name, rows: 3 }, value);
  const name = text('name', job?.name);
  const target = text('target', job?.target);
  const sources = area('sources', job?.sources.map((s) => s.group).join('\n') ?? '');
  const transitive = h('input', { type: 'checkbox', name: 'transitive', checked: job?.sources.some((s) => s.transitive) });
  const exclude = area('exclude', job?.exclude.map((s) => s.group).join('\n') ?? '');
  const mode = h(
    'select',
    { name: 'mode' },
    h('option', { value: 'additive' }, 'additive: keep manual members'),
    h('option', { value: 'mirror' }, 'mirror: remove anything else'),
  );
  mode.value = job?.mode ?? 'additive';
  const types = (['user', 'group', 'device', 'servicePrincipal'] as const).map((t) =>
    h('input', { type: 'checkbox', name: 'memberTypes', value: t, checked: (job?.memberTypes ?? ['user']).includes(t) }),
  );
  const protectedIds = area('protected', job?.protected.join('\n') ?? '');
  const maxAdds = h('input', { type: 'number', name: 'maxAdds', min: 0, value: job?.limits.maxAdds });
  const maxRemovals = h('input', { type: 'number', name: 'maxRemovals', min: 0, value: job?.limits.maxRemovals });
  const maxRemovalPercent = h('input', {
    type: 'number',
    name: 'maxRemovalPercent',
    min: 0,
    max: 100,
    value: job?.limits.maxRemovalPercent,
  });
  const schedule = text('schedule', job?.schedule);
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: job?.enabled ?? true });
  const summary = h('div', { tabindex: -1 });
  const submit = h('button', { type: 'submit' }, job ? 'Save changes' : 'Create job');

  const form = h(
    'form',
    { class: 'stacked', novalidate: true },
    summary,
    field('job-name', 'Name', name),
    field('job-target', 'Target group', target, 'Group id, or its exact display name (resolved once, when saved).'),
    field('job-sources', 'Source groups', sources, 'One group id or exact display name per line.'),
    h('label', { class: 'inline' }, transitive, 'Include members of groups nested in the sources'),
    field('job-exclude', 'Excluded groups', exclude, 'Optional. Members of these groups (and nested groups) are never synced.'),
    field('job-mode', 'Mode', mode),
    h(
      'fieldset',
      { 'data-field': 'job-memberTypes' },
      h('legend', {}, 'Member types'),
      ...types.map((t) => h('label', { class: 'inline' }, t, t.value)),
    ),
    field('job-protected', 'Protected members', protectedIds, 'Object ids never removed, one per line.'),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Limits (a run over a limit applies nothing)'),
      field('job-maxAdds', 'Most members added per run', maxAdds),
      field('job-maxRemovals', 'Most members removed per run', maxRemovals),
      field('job-maxRemovalPercent', 'Most removed, % of the target', maxRemovalPercent),
    ),
    field('job-schedule', 'Schedule', schedule, 'Optional NCRONTAB, six fields, UTC; e.g. 0 0 * * * * for hourly.'),
    h('label', { class: 'inline' }, enabled, 'Enabled'),
    h(
      'div',
      { class: 'actions' },
      submit,
      h('a', { class: 'button secondary', href: job ? `#/sync/jobs/${job.jobId}` : '#/sync' }, 'Cancel'),
    ),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const group = (g: string) => ({ group: g, transitive: transitive.checked });
    const limits = {
      maxAdds: optionalNumber(maxAdds.value),
      maxRemovals: optionalNumber(maxRemovals.value),
      maxRemovalPercent: optionalNumber(maxRemovalPercent.value),
    };
    const body = {
      name: name.value,
      target: target.value,
      sources: lines(sources.value).map(group),
      exclude: lines(exclude.value).map((g) => ({ group: g })),
      mode: mode.value,
      memberTypes: types.filter((t) => t.checked).map((t) => t.value),
      protected: lines(protectedIds.value),
      limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
      enabled: enabled.checked,
      ...(schedule.value.trim() && { schedule: schedule.value.trim() }),
      ...(job && { userType: job.userType, includeDisabled: job.includeDisabled }),
    };
    submit.disabled = true;
    const saving = job
      ? ctx.api.send<SyncJob>('PUT', `sync/jobs/${job.jobId}`, body)
      : ctx.api.send<SyncJob>('POST', 'sync/jobs', body);
    saving
      .then((saved) => ctx.navigate(`/sync/jobs/${saved.jobId}`))
      .catch((err: unknown) => {
        submit.disabled = false;
        showErrors(form, summary, err);
      });
  });
  append(ctx.root, form);
}

const ROLE_FIELDS: Record<string, string> = { target: 'target', source: 'sources', exclude: 'exclude' };

/** The API's `details[].path` (e.g. `sources.0.group`, `limits.maxAdds`) names the field to mark. */
function showErrors(form: HTMLFormElement, summary: HTMLElement, err: unknown): void {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  summary.replaceChildren(errorBox(err));
  if (err instanceof ApiError) {
    // Group resolution errors name the group's role instead of a path.
    const role =
      !Array.isArray(err.details) && typeof err.details === 'object' && err.details
        ? (err.details as { role?: unknown }).role
        : undefined;
    const marks = typeof role === 'string' ? [{ path: ROLE_FIELDS[role] ?? '', message: err.message }] : err.fieldErrors();
    for (const [i, d] of marks.entries()) {
      const top = (d.path ?? '').split('.')[0] ?? '';
      const input = form.querySelector<HTMLElement>(`#job-${top === 'limits' ? (d.path?.split('.')[1] ?? '') : top}`);
      if (!input) continue;
      const id = `${input.id}-error-${i}`;
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', `${input.getAttribute('aria-describedby') ?? ''} ${id}`.trim());
      input.after(h('p', { class: 'field-error', id }, d.message ?? 'invalid'));
    }
  }
  summary.focus();
}

registerView({
  path: '/sync/new',
  section: '/sync',
  render(ctx) {
    ctx.title('New sync job');
    jobForm(ctx, undefined);
  },
});

registerView({
  path: '/sync/jobs/:jobId/edit',
  section: '/sync',
  async render(ctx) {
    const job = await ctx.api.get<SyncJob>(`sync/jobs/${ctx.params.jobId ?? ''}`, ctx.signal);
    ctx.title(`Edit sync job: ${job.name}`);
    jobForm(ctx, job);
  },
});
