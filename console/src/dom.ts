/**
 * A tiny DOM builder. Text always goes through textContent (never innerHTML), so names and reasons that come from
 * the directory or a CSV cannot inject markup.
 */
import { ApiError } from './api';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | null | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces the children of `el`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

export const statusBadge = (status: string): HTMLElement => h('span', { class: `status status-${status}` }, status);

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => Child;
  readonly numeric?: boolean;
}

/** A data table with a caption and column headers scoped for screen readers. */
export function table<T>(
  caption: string,
  columns: readonly Column<T>[],
  rows: readonly T[],
  empty = 'Nothing yet.',
): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, `${caption}: ${empty}`);
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : undefined }, c.header)))),
    h(
      'tbody',
      {},
      ...rows.map((r) => h('tr', {}, ...columns.map((c) => h('td', { class: c.numeric ? 'num' : undefined }, c.cell(r))))),
    ),
  );
}

/** A definition list of label/value pairs shown as cards. */
export function cards(label: string, items: readonly (readonly [string, Child])[]): HTMLElement {
  return h(
    'dl',
    { class: 'cards', 'aria-label': label },
    ...items.map(([k, v]) => h('div', { class: 'card' }, h('dt', {}, k), h('dd', {}, v))),
  );
}

/** Polite announcement for screen readers (status changes that happen without focus moving). */
export function announce(message: string): void {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  // A fresh text node after a tick so repeated identical messages are still read.
  window.setTimeout(() => (region.textContent = message), 50);
}

/** An error the user should see: the API's message and code, announced by screen readers. */
export function errorBox(err: unknown): HTMLElement {
  const box = h('div', { class: 'alert', role: 'alert' });
  if (err instanceof ApiError) {
    append(box, `${err.message} (${err.code})`);
    const fields = err.fieldErrors().filter((d) => d.message);
    if (fields.length > 0)
      append(box, h('ul', {}, ...fields.map((d) => h('li', {}, d.path ? `${d.path}: ${d.message}` : d.message))));
  } else append(box, err instanceof Error ? err.message : String(err));
  return box;
}
