import { z } from 'zod';

/** Small helpers the ticketing tests share to drive a stand-in's control API. */
export async function control(baseUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

export async function requestCount(baseUrl: string, key: string): Promise<number> {
  const stats = z.object({ requests: z.record(z.string(), z.number()) }).parse(await control(baseUrl, 'GET', '/_standin/stats'));
  return stats.requests[key] ?? 0;
}

/** Calls that should fail: resolves with the thrown value so tests can inspect it. */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}
