/**
 * Loopback hosts: the only places where plain http, static tokens and unauthenticated local hosts are acceptable,
 * because traffic to them never leaves the machine. `URL.hostname` keeps IPv6 brackets, so both forms are accepted.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** True for `https:` URLs, and for `http:` URLs whose host is loopback. */
export function isSecureOrLoopbackUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}
