import { query } from '../api';
import { append, errorBox, h, statusBadge, table, when } from '../dom';
import type { ImportProgress } from '../models';
import { registerView } from '../registry';
import { progressBar } from '../widgets';

/** Upload a CSV (dry run or apply) and the recent imports. */
const uploadName = (name: string): string | undefined => {
  const clean = name.replace(/[^\w .()-]/g, '_').replace(/^[^\w]+/, '');
  return /^[\w][\w .()-]{0,100}\.csv$/i.test(clean) ? clean : undefined;
};

registerView({
  path: '/phones',
  nav: { label: 'Phone imports', order: 20 },
  async render({ api, root, signal, title, navigate }) {
    title('Phone imports');
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
      h(
        'fieldset',
        {},
        h('legend', {}, 'What to do'),
        h('label', { class: 'inline', for: 'mode-dry' }, dryRun, 'Dry run: validate and plan, change nothing'),
        h('label', { class: 'inline', for: 'mode-apply' }, apply, 'Apply: set the numbers in the directory'),
      ),
      h('div', { class: 'actions' }, submit),
      status,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const chosen = file.files?.[0];
      if (!chosen) {
        file.setAttribute('aria-invalid', 'true');
        status.replaceChildren(h('div', { class: 'alert', role: 'alert' }, 'Choose a CSV file first.'));
        status.focus();
        return;
      }
      file.removeAttribute('aria-invalid');
      submit.disabled = true;
      status.replaceChildren(h('p', { role: 'status' }, `Uploading ${chosen.name}…`));
      api
        .upload<ImportProgress>(`phone-imports${query({ dryRun: dryRun.checked, name: uploadName(chosen.name) })}`, chosen)
        .then((progress) => navigate(`/phones/${progress.importId}`))
        .catch((err: unknown) => {
          submit.disabled = false;
          status.replaceChildren(errorBox(err));
          status.focus();
        });
    });
    append(root, h('h2', {}, 'New import'), form, h('h2', {}, 'Recent imports'));
    const imports = (await api.get<{ value: ImportProgress[] }>('phone-imports?top=50', signal)).value;
    append(
      root,
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
      ),
    );
  },
});
