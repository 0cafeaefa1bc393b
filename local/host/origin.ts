import type { IncomingMessage } from 'node:http';

import { isLoopbackHost } from '../../shared/loopback';

/**
 * The local host checks no function keys (like `func start`), so loopback-only listening is its whole protection.
 * Two browser attacks get around that: DNS rebinding (a page on evil.example re-resolves its own name to 127.0.0.1
 * and calls us as same-origin, with `Host: evil.example`) and cross-site requests (a page anywhere POSTs a "simple"
 * request to http://127.0.0.1:7071 without a CORS preflight). So a request must name a loopback `Host`, and a
 * browser request must come from this host's own origin: `Origin` equal to it when sent, and `Sec-Fetch-Site`
 * `same-origin` or `none` (typed or bookmarked) when sent. Non-browser clients (curl, SDKs, Azurite) send neither.
 */
export type OriginVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export function checkLocalRequest(req: IncomingMessage): OriginVerdict {
  const host = req.headers.host;
  if (!host) return { ok: false, reason: 'a Host header is required' };
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return { ok: false, reason: `the Host header ${JSON.stringify(host)} is not a host name` };
  }
  if (!isLoopbackHost(hostname)) {
    return { ok: false, reason: `the local host answers loopback names only, not ${JSON.stringify(host)}` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`.toLowerCase()) {
    return { ok: false, reason: `requests from the web origin ${JSON.stringify(origin)} are refused` };
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { ok: false, reason: `${site} browser requests are refused` };
  }
  return { ok: true };
}
