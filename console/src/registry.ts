/**
 * The console's view registry. A view is one file in console/src/views that calls `registerView`; the build imports
 * every file there, so adding a page (tickets, Conditional Access, ...) never touches the shell.
 */
import type { Api } from './api';

export interface ViewContext {
  readonly api: Api;
  /** Route parameters (`:jobId` in the path) and the query after `?` in the hash. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The element the view renders into; cleared before render. */
  readonly root: HTMLElement;
  /** Aborted when the user leaves the view: stop polling and ignore late responses. */
  readonly signal: AbortSignal;
  readonly navigate: (path: string) => void;
  /** Sets the page title (document title and the h1). */
  readonly title: (text: string) => void;
}

export interface View {
  /** Hash path with `:name` parameters, e.g. `/sync/jobs/:jobId`. */
  readonly path: string;
  /** Shown in the top navigation when present; lower order first. */
  readonly nav?: { readonly label: string; readonly order: number };
  /** The section highlighted in the navigation (defaults to the first path segment). */
  readonly section?: string;
  render(ctx: ViewContext): Promise<void> | void;
}

const views: View[] = [];

export function registerView(view: View): void {
  if (views.some((v) => v.path === view.path)) throw new Error(`Two views claim ${view.path}`);
  views.push(view);
}

export function navViews(): View[] {
  return views.filter((v) => v.nav).sort((a, b) => (a.nav?.order ?? 0) - (b.nav?.order ?? 0));
}

export function sectionOf(path: string): string {
  return `/${path.split('/').filter(Boolean)[0] ?? ''}`;
}

/** The view for a hash path and its parameters; literal segments beat parameters. */
export function matchView(path: string): { view: View; params: Record<string, string> } | undefined {
  const parts = path.split('/').filter(Boolean);
  let best: { view: View; params: Record<string, string>; score: number } | undefined;
  for (const view of views) {
    const pattern = view.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let score = 0;
    let ok = true;
    pattern.forEach((seg, i) => {
      const actual = parts[i] ?? '';
      if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(actual);
      else if (seg === actual) score += 1;
      else ok = false;
    });
    if (ok && (!best || score > best.score)) best = { view, params, score };
  }
  return best && { view: best.view, params: best.params };
}
