/**
 * The console shell: reads its public config, signs in when the app requires it, draws the navigation from the view
 * registry and renders the view for the current hash. Views never touch the shell.
 */
import { createApi } from './api';
import { type ConsoleConfig, LOCAL_SESSION, type Session, signIn } from './auth';
import { errorBox, fill, h } from './dom';
import { matchView, navViews, sectionOf, type View } from './registry';

let current: AbortController | undefined;

async function start(): Promise<void> {
  const main = document.getElementById('main') as HTMLElement;
  let config: ConsoleConfig;
  try {
    const res = await fetch('/api/console/config', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    config = (await res.json()) as ConsoleConfig;
  } catch (err) {
    fill(
      main,
      h('h1', {}, 'entra-ops console'),
      h('p', { class: 'alert', role: 'alert' }, `Cannot read the console configuration: ${String(err)}`),
    );
    return;
  }
  const session = config.auth ? await signIn(config.auth) : LOCAL_SESSION;
  if (session === 'redirecting') return;
  const api = createApi(() => session.token());
  drawAccount(session);
  const render = () => void show(main, api);
  window.addEventListener('hashchange', render);
  render();
}

function drawAccount(session: Session): void {
  const account = document.getElementById('account');
  if (!account) return;
  if (!session.user) fill(account, h('span', {}, 'Local stack (no sign-in)'));
  else
    fill(
      account,
      h('span', {}, session.user),
      h('button', { type: 'button', onclick: () => void session.signOut() }, 'Sign out'),
    );
}

function drawNav(active: string): void {
  const nav = document.getElementById('nav');
  if (!nav) return;
  fill(
    nav,
    ...navViews().map((v: View) =>
      h(
        'li',
        {},
        h('a', { href: `#${v.path}`, 'aria-current': sectionOf(v.path) === active ? 'page' : undefined }, v.nav?.label ?? v.path),
      ),
    ),
  );
}

async function show(main: HTMLElement, api: ReturnType<typeof createApi>): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const [path = '/', search = ''] = (window.location.hash.replace(/^#/, '') || '/').split('?');
  const match = matchView(path);
  drawNav(match?.view.section ?? sectionOf(path));
  const heading = h('h1', {}, '');
  const root = h('div', {});
  fill(main, heading, root);
  const title = (text: string) => {
    heading.textContent = text;
    document.title = `${text} · entra-ops`;
  };
  if (!match) {
    title('Not found');
    fill(root, h('p', {}, 'No page here. '), h('a', { href: '#/' }, 'Go to the overview'));
    return;
  }
  try {
    await match.view.render({
      api,
      params: match.params,
      query: new URLSearchParams(search),
      root,
      signal: controller.signal,
      navigate: (to) => (window.location.hash = to),
      title,
    });
  } catch (err) {
    if (controller.signal.aborted) return;
    root.append(errorBox(err));
  }
  // Move focus to the new content so keyboard and screen-reader users start at the page they asked for.
  if (!controller.signal.aborted && !main.contains(document.activeElement)) main.focus();
}

void start();
