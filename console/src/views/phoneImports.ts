/** Upload a CSV (dry run or apply) and the recent imports. */
import { query } from '../api';
import { append, errorBox, h, statusBadge, table, when } from '../dom';
import type { ImportProgress } from '../models';
import { registerView, type ViewContext } from '../registry';
import { progressBar } from '../widgets';

const uploadName = (name: string): string | undefined => {
  const clean = name.replace(/[^\w .()-]/g, '_').replace(/^[^\w]+/, '');
  return /^[\w][\w .()-]{0,100}\.csv$/i.test(clean) ? clean : undefined;
};

const modeChoice = (dryRun: HTMLInputElement, apply: HTMLInputElement): HTMLElement =>
  h(
    'fieldset',
    {},
    h('legend', {}, 'What to do'),
    h('label', { class: 'inline', for: 'mode-dry' }, dryRun, 'Dry run: validate and plan, change nothing'),
    h('label', { class: 'inline', for: 'mode-apply' }, apply, 'Apply: set the numbers in the directory'),
  );

/** The upload form: the file, dry run or apply, and a status line that takes focus on errors. */
function uploadForm({ api, navigate }: ViewContext): HTMLFormElement {
  const file = h('input', {
    type: 'file',
    id: 'csv-file',
    name: 'file',
    accept: '.csv,text/csv',
    required: true,
    'aria-describedby': 'csv-hint',
  });
  const dryRun = h('input', { type: 'radio', name: 'mode', value: 'dry', id: 'mode-dry', checked: true });
  const apply = h('input', { type: 'radio', name: 'mode', value: 'apply', id: 'mode-apply' });
  const status = h('div', { tabindex: -1 });
  const submit = h('button', { type: 'submit' }, 'Upload');
  const showError = (error: HTMLElement) => {
    status.replaceChildren(error);
    status.focus();
  };
  const form = h(
    'form',
    { class: 'stacked' },
    h(
      'div',
      {},
      h('label', { for: 'csv-file' }, 'CSV file'),
      h(
        'p',
        { class: 'hint', id: 'csv-hint' },
        'UserName,PhoneNumber (the seed’s contacts.csv works as is); up to the size the app allows.',
      ),
      file,
    ),
    modeChoice(dryRun, apply),
    h('div', { class: 'actions' }, submit),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) {
      file.setAttribute('aria-invalid', 'true');
      return showError(h('div', { class: 'alert', role: 'alert' }, 'Choose a CSV file first.'));
    }
    file.removeAttribute('aria-invalid');
    submit.disabled = true;
    status.replaceChildren(h('p', { role: 'status' }, `Uploading ${chosen.name}…`));
    api
      .upload<ImportProgress>(`phone-imports${query({ dryRun: dryRun.checked, name: uploadName(chosen.name) })}`, chosen)
      .then((progress) => navigate(`/phones/${progress.importId}`))
      .catch((err: unknown) => {
        submit.disabled = false;
        showError(errorBox(err));
      });
  });
  return form;
}

const recentImports = (imports: ImportProgress[]): HTMLElement =>
  table(
    'Recent phone imports, newest first',
    [
      { header: 'File', cell: (i) => h('a', { href: `#/phones/${i.importId}` }, i.file) },
      { header: 'Kind', cell: (i) => (i.dryRun ? 'dry run' : 'apply') },
      { header: 'Status', cell: (i) => statusBadge(i.status) },
      { header: 'Progress', cell: (i) => progressBar(i, `Progress of ${i.file}`) },
      { header: 'Started', cell: (i) => when(i.createdAt) },
    ],
    imports,
    'no imports yet.',
  );

registerView({
  path: '/phones',
  nav: { label: 'Phone imports', order: 20 },
  async render(ctx) {
    ctx.title('Phone imports');
    append(ctx.root, h('h2', {}, 'New import'), uploadForm(ctx), h('h2', {}, 'Recent imports'));
    const imports = (await ctx.api.get<{ value: ImportProgress[] }>('phone-imports?top=50', ctx.signal)).value;
    append(ctx.root, recentImports(imports));
  },
});
