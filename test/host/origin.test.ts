import { request as httpRequest } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type LocalHost, startLocalHost } from '../../local/host';
import { httpFunction } from '../../shared/runtime/definitions';
import { memoryLogger, UNUSED_STORAGE } from '../helpers/host';

/** DNS rebinding and cross-site requests against the local host, which checks no function keys. */
let host: LocalHost;
let calls = 0;

beforeAll(async () => {
  const { logger } = memoryLogger();
  host = await startLocalHost({
    functions: [
      httpFunction('write', {
        route: 'write',
        methods: ['GET', 'POST'],
        handler: async () => {
          calls++;
          return { status: 200, jsonBody: { ok: true } };
        },
      }),
    ],
    port: 0,
    storageConnectionString: UNUSED_STORAGE,
    logger,
    timers: { disabled: true },
  });
});
afterAll(() => host.close());

/** node:http, because fetch does not let a caller choose the Host header (a rebinding browser does). */
function send(method: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: host.port, path: '/api/write', method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'x=1' : undefined);
  });
}

describe('local host request origin checks', () => {
  it('serves loopback names and same-origin browser requests', async () => {
    const before = calls;
    const self = `127.0.0.1:${host.port}`;
    for (const headers of <Record<string, string>[]>[
      { host: self },
      { host: `localhost:${host.port}` },
      { host: `[::1]:${host.port}` },
      { host: self, origin: `http://${self}`, 'sec-fetch-site': 'same-origin' },
      { host: self, 'sec-fetch-site': 'none' },
    ]) {
      expect((await send('POST', headers)).status, JSON.stringify(headers)).toBe(200);
    }
    expect(calls - before).toBe(5);
  });

  it('refuses a rebound name (Host not loopback) before any function runs', async () => {
    const before = calls;
    for (const host_ of ['evil.example', `evil.example:${host.port}`, `127.0.0.1.evil.example:${host.port}`, '10.0.0.5']) {
      const res = await send('POST', { host: host_ });
      expect(res.status, host_).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'Forbidden' } });
    }
    expect(calls).toBe(before);
  });

  it('refuses cross-site browser requests: foreign or null Origin, cross-site or same-site fetch metadata', async () => {
    const before = calls;
    const self = `127.0.0.1:${host.port}`;
    for (const headers of <Record<string, string>[]>[
      { host: self, origin: 'https://evil.example', 'content-type': 'text/plain' },
      { host: self, origin: 'null' },
      { host: self, origin: 'http://localhost:3000' },
      { host: self, 'sec-fetch-site': 'cross-site' },
      { host: self, 'sec-fetch-site': 'same-site' },
    ]) {
      expect((await send('POST', headers)).status, JSON.stringify(headers)).toBe(403);
    }
    expect((await send('GET', { host: self, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(calls).toBe(before);
  });
});
