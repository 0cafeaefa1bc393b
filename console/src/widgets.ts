import { h } from './dom';
import type { ImportProgress } from './models';

/** A labelled progress bar for an import; `value` is absent while the row count is unknown (indeterminate). */
export function progressBar(p: ImportProgress, label: string): HTMLElement {
  const total = p.rows.total;
  const done = p.status === 'completed' ? total : p.rows.done;
  const text = total > 0 ? `${done} of ${total} rows` : p.status === 'validating' ? 'validating' : '0 rows';
  return h(
    'div',
    {},
    h('progress', { max: Math.max(total, 1), value: total > 0 ? done : undefined, 'aria-label': label, 'aria-valuetext': text }),
    h('span', { class: 'muted' }, ` ${text}`),
  );
}

/** Waits `ms` unless the view is left first. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = window.setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      window.clearTimeout(timer);
      resolve();
    });
  });
}

/** Offers a Blob as a file download. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
