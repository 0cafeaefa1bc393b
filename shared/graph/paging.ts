/**
 * Graph collections page with `@odata.nextLink` (follow it verbatim, it carries the skip token); a delta round ends
 * with `@odata.deltaLink` on its last page. https://learn.microsoft.com/graph/paging
 */

import { GraphError } from './errors';
import type { GraphPage } from './types';

export function parsePage<T>(body: unknown, method: string, route: string): GraphPage<T> {
  const o = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const value = o?.value;
  if (!Array.isArray(value)) {
    throw new GraphError({
      kind: 'invalidResponse',
      method,
      route,
      message: `Graph ${method} ${route} returned no "value" array`,
    });
  }
  const next = o?.['@odata.nextLink'];
  const delta = o?.['@odata.deltaLink'];
  return {
    value: value as T[],
    ...(typeof next === 'string' && next !== '' ? { nextLink: next } : {}),
    ...(typeof delta === 'string' && delta !== '' ? { deltaLink: delta } : {}),
  };
}

/**
 * Yields pages lazily: the next page is requested only when the consumer asks for it, so memory is one page.
 * `fetchPage(undefined)` loads the first page, `fetchPage(link)` a next link (the gateway checks the link's host).
 */
export async function* followPages<T>(
  fetchPage: (link: string | undefined) => Promise<GraphPage<T>>,
): AsyncGenerator<GraphPage<T>> {
  let page = await fetchPage(undefined);
  let previous: string | undefined;
  for (;;) {
    yield page;
    const next = page.nextLink;
    if (next === undefined) return;
    // A page that links to itself would otherwise loop forever.
    if (next === previous) {
      throw new GraphError({ kind: 'invalidResponse', message: 'Graph returned the same @odata.nextLink twice in a row' });
    }
    previous = next;
    page = await fetchPage(next);
  }
}
