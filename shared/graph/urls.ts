import { isLoopbackHost } from '../loopback';
import { GraphError } from './errors';

/** The only Graph version the app uses; Graph's beta endpoint is not a production contract. */
export const GRAPH_VERSION = 'v1.0';

/** Normalised base URL: no trailing slash, http(s) only, no query or fragment. */
export function normaliseBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new GraphError({ kind: 'invalidRequest', message: `Graph base URL is not a URL: ${baseUrl}` });
  }
  // The gateway sends the app's tenant-wide token with every call: plain http only to a loopback sandbox.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new GraphError({ kind: 'invalidRequest', message: `Graph base URL must be https (or http on loopback): ${baseUrl}` });
  }
  if (url.search !== '' || url.hash !== '') {
    throw new GraphError({ kind: 'invalidRequest', message: 'Graph base URL must not carry a query or fragment' });
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

const isAbsolute = (path: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(path);

/** `$select` stays readable as `$select` (Graph accepts both forms); everything else is percent-encoded. */
const encodeKey = (k: string): string => encodeURIComponent(k).replace(/^%24/, '$');

/** The `@odata.id` of a directory object, for `members/$ref` and `members@odata.bind`, on this gateway's cloud. */
export function directoryObjectUrl(baseUrl: string, id: string): string {
  return `${normaliseBaseUrl(baseUrl)}/${GRAPH_VERSION}/directoryObjects/${encodeURIComponent(id)}`;
}

export function buildQuery(query: Readonly<Record<string, string>> | undefined): string {
  if (!query) return '';
  const parts = Object.entries(query).map(([k, v]) => `${encodeKey(k)}=${encodeURIComponent(v)}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/**
 * Checks that an absolute link (`@odata.nextLink`, `@odata.deltaLink`) points at the configured Graph root and returns
 * it unchanged. A link elsewhere is refused: following it would send the bearer token to another host.
 */
export function trustedLink(baseUrl: string, link: string): string {
  let url: URL;
  let base: URL;
  try {
    url = new URL(link);
    base = new URL(`${baseUrl}/${GRAPH_VERSION}/`);
  } catch {
    throw new GraphError({ kind: 'invalidRequest', message: 'Graph link is not a valid URL' });
  }
  // Compare parsed origins, not string prefixes: `https://graph.microsoft.com.evil.example/` shares the prefix.
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname) || url.username !== '' || url.password !== '') {
    throw new GraphError({
      kind: 'invalidRequest',
      message: `Refusing to follow a Graph link outside ${base.origin}${base.pathname} (host ${url.host})`,
      route: url.pathname,
    });
  }
  return url.href;
}

/** Full URL for a request: a path under `${baseUrl}/v1.0`, or a trusted absolute link (then `query` must be empty). */
export function requestUrl(baseUrl: string, path: string, query?: Readonly<Record<string, string>>): string {
  if (isAbsolute(path)) {
    if (query && Object.keys(query).length > 0) {
      throw new GraphError({
        kind: 'invalidRequest',
        message: 'A Graph next/delta link already carries its query; pass no query with it',
      });
    }
    return trustedLink(baseUrl, path);
  }
  return `${baseUrl}/${GRAPH_VERSION}${relativePath(path)}${buildQuery(query)}`;
}

/** Validates a path relative to the version root (`/groups/{id}/members`). */
export function relativePath(path: string): string {
  if (!path.startsWith('/') || path.startsWith('//')) {
    throw new GraphError({ kind: 'invalidRequest', message: `Graph paths start with a single "/": ${routeOf(path)}` });
  }
  if (/(^|\/)\.\.?(\/|$|\?)/.test(path.split('?')[0] ?? '')) {
    throw new GraphError({
      kind: 'invalidRequest',
      message: `Graph paths must not contain "." or ".." segments: ${routeOf(path)}`,
    });
  }
  return path;
}

/**
 * The URL a `$batch` item carries: relative to the version root. Absolute links under the base URL are converted,
 * anything else is refused like any foreign link.
 */
export function batchItemUrl(baseUrl: string, path: string): string {
  if (!isAbsolute(path)) return relativePath(path);
  const href = trustedLink(baseUrl, path);
  const url = new URL(href);
  const root = new URL(`${baseUrl}/${GRAPH_VERSION}`).pathname;
  return `${url.pathname.slice(root.length)}${url.search}`;
}

/** Path without query or origin, for errors and debug logs: skip tokens, delta tokens and filters never appear. */
export function routeOf(pathOrUrl: string): string {
  if (isAbsolute(pathOrUrl)) {
    try {
      return new URL(pathOrUrl).pathname;
    } catch {
      return '(invalid url)';
    }
  }
  return pathOrUrl.split('?')[0] ?? pathOrUrl;
}
