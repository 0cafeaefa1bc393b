/**
 * Create and edit a sync job. The API validates (names resolved to groups, loops, targets Graph cannot write);
 * its messages are shown next to the fields they name and in a summary that takes focus.
 */
import { ApiError } from '../api';
import { append, errorBox, h } from '../dom';
import type { SyncJob } from '../models';
import { registerView, type ViewContext } from '../registry';

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

/** One input per job field, filled from the job being edited (or the defaults for a new one). */
function jobInputs(job: SyncJob | undefined) {
  const text = (name: string, value = '') => h('input', { type: 'text', name, value, autocomplete: 'off' });
  const area = (name: string, value: string) => h('textarea', { name, rows: 3 }, value);
  const number = (name: string, value: number | undefined, max?: number) =>
    h('input', { type: 'number', name, min: 0, ...(max !== undefined && { max }), value });
  const mode = h(
    'select',
    { name: 'mode' },
    h('option', { value: 'additive' }, 'additive: keep manual members'),
    h('option', { value: 'mirror' }, 'mirror: remove anything else'),
  );
  mode.value = job?.mode ?? 'additive';
  return {
    name: text('name', job?.name),
    target: text('target', job?.target),
    sources: area('sources', job?.sources.map((s) => s.group).join('\n') ?? ''),
    transitive: h('input', { type: 'checkbox', name: 'transitive', checked: job?.sources.some((s) => s.transitive) }),
    exclude: area('exclude', job?.exclude.map((s) => s.group).join('\n') ?? ''),
    mode,
    types: (['user', 'group', 'device', 'servicePrincipal'] as const).map((t) =>
      h('input', { type: 'checkbox', name: 'memberTypes', value: t, checked: (job?.memberTypes ?? ['user']).includes(t) }),
    ),
    protectedIds: area('protected', job?.protected.join('\n') ?? ''),
    maxAdds: number('maxAdds', job?.limits.maxAdds),
    maxRemovals: number('maxRemovals', job?.limits.maxRemovals),
    maxRemovalPercent: number('maxRemovalPercent', job?.limits.maxRemovalPercent, 100),
    schedule: text('schedule', job?.schedule),
    enabled: h('input', { type: 'checkbox', name: 'enabled', checked: job?.enabled ?? true }),
  };
}

type JobInputs = ReturnType<typeof jobInputs>;

/** The labelled form: every input with its hint, the limits grouped, the error summary on top. */
function jobFormLayout(i: JobInputs, summary: HTMLElement, submit: HTMLElement, job: SyncJob | undefined): HTMLFormElement {
  return h(
    'form',
    { class: 'stacked', novalidate: true },
    summary,
    field('job-name', 'Name', i.name),
    field('job-target', 'Target group', i.target, 'Group id, or its exact display name (resolved once, when saved).'),
    field('job-sources', 'Source groups', i.sources, 'One group id or exact display name per line.'),
    h('label', { class: 'inline' }, i.transitive, 'Include members of groups nested in the sources'),
    field('job-exclude', 'Excluded groups', i.exclude, 'Optional. Members of these groups (and nested groups) are never synced.'),
    field('job-mode', 'Mode', i.mode),
    h(
      'fieldset',
      { 'data-field': 'job-memberTypes' },
      h('legend', {}, 'Member types'),
      ...i.types.map((t) => h('label', { class: 'inline' }, t, t.value)),
    ),
    field('job-protected', 'Protected members', i.protectedIds, 'Object ids never removed, one per line.'),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Limits (a run over a limit applies nothing)'),
      field('job-maxAdds', 'Most members added per run', i.maxAdds),
      field('job-maxRemovals', 'Most members removed per run', i.maxRemovals),
      field('job-maxRemovalPercent', 'Most removed, % of the target', i.maxRemovalPercent),
    ),
    field('job-schedule', 'Schedule', i.schedule, 'Optional NCRONTAB, six fields, UTC; e.g. 0 0 * * * * for hourly.'),
    h('label', { class: 'inline' }, i.enabled, 'Enabled'),
    h(
      'div',
      { class: 'actions' },
      submit,
      h('a', { class: 'button secondary', href: job ? `#/sync/jobs/${job.jobId}` : '#/sync' }, 'Cancel'),
    ),
  );
}

/** The API body from the inputs; fields the form does not show are kept from the job being edited. */
function jobBody(i: JobInputs, job: SyncJob | undefined): Record<string, unknown> {
  const group = (g: string) => ({ group: g, transitive: i.transitive.checked });
  const limits = {
    maxAdds: optionalNumber(i.maxAdds.value),
    maxRemovals: optionalNumber(i.maxRemovals.value),
    maxRemovalPercent: optionalNumber(i.maxRemovalPercent.value),
  };
  return {
    name: i.name.value,
    target: i.target.value,
    sources: lines(i.sources.value).map(group),
    exclude: lines(i.exclude.value).map((g) => ({ group: g })),
    mode: i.mode.value,
    memberTypes: i.types.filter((t) => t.checked).map((t) => t.value),
    protected: lines(i.protectedIds.value),
    limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
    enabled: i.enabled.checked,
    ...(i.schedule.value.trim() && { schedule: i.schedule.value.trim() }),
    ...(job && { userType: job.userType, includeDisabled: job.includeDisabled }),
  };
}

function jobForm(ctx: ViewContext, job: SyncJob | undefined): void {
  const inputs = jobInputs(job);
  const summary = h('div', { tabindex: -1 });
  const submit = h('button', { type: 'submit' }, job ? 'Save changes' : 'Create job');
  const form = jobFormLayout(inputs, summary, submit, job);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = jobBody(inputs, job);
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
