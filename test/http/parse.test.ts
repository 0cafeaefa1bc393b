import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { AppError } from '../../shared/errors';
import { readBodyCapped, readJson, readQuery } from '../../shared/http/parse';

const schema = z.object({ name: z.string().min(1), count: z.number().int().positive() });

const post = (body: string, contentType = 'application/json') =>
  new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/x',
    headers: { 'content-type': contentType },
    body: { string: body },
  });

async function errorOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('readJson', () => {
  it('returns the parsed, validated body', async () => {
    await expect(readJson(post('{"name":"a","count":2}'), schema)).resolves.toEqual({ name: 'a', count: 2 });
  });

  it('answers 415 for a body that is not JSON by content type', async () => {
    const err = await errorOf(readJson(post('name=a', 'application/x-www-form-urlencoded'), schema));
    expect([err.status, err.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('answers 400 INVALID_JSON for unparsable JSON', async () => {
    const err = await errorOf(readJson(post('{"name":'), schema));
    expect([err.status, err.code]).toEqual([400, 'INVALID_JSON']);
  });

  it('answers 400 INVALID_BODY naming each field to fix', async () => {
    const err = await errorOf(readJson(post('{"name":"","count":-1}'), schema));
    expect(err.code).toBe('INVALID_BODY');
    expect(err.details).toEqual([
      { path: 'name', message: expect.any(String) as string },
      { path: 'count', message: expect.any(String) as string },
    ]);
  });
});

/** A POST whose body streams in 64 KiB chunks, as the worker builds it with enableHttpStream; counts chunks pulled. */
function streamingPost(totalChunks: number, headers: Record<string, string> = {}) {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === totalChunks) return controller.close();
      pulled++;
      controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
    },
  });
  const nativeRequest = new Request('http://localhost/api/x', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: stream,
    duplex: 'half',
  });
  const request = new HttpRequest({ nativeRequest } as unknown as ConstructorParameters<typeof HttpRequest>[0]);
  return { request, pulled: () => pulled };
}

describe('request bodies are capped while they stream', () => {
  it('stops reading a 64 MiB JSON body just past 1 MiB and answers 413', async () => {
    const { request, pulled } = streamingPost(1024);
    const err = await errorOf(readJson(request, schema));
    expect([err.status, err.code]).toEqual([413, 'BODY_TOO_LARGE']);
    expect(pulled()).toBeLessThanOrEqual(18); // 16 chunks make 1 MiB; the stream may buffer one ahead
  });

  it('refuses a declared Content-Length over the limit without reading', async () => {
    const { request, pulled } = streamingPost(1024, { 'content-length': String(64 * 1024 * 1024) });
    const err = await errorOf(readBodyCapped(request, 1024));
    expect(err.status).toBe(413);
    expect(pulled()).toBeLessThanOrEqual(1);
  });

  it('returns bodies under the limit whole', async () => {
    const { request } = streamingPost(3);
    expect((await readBodyCapped(request, 1024 * 1024)).length).toBe(3 * 64 * 1024);
  });
});

describe('readQuery', () => {
  it('validates query parameters with the same error model', () => {
    const req = new HttpRequest({ method: 'GET', url: 'http://localhost/api/x?dryRun=maybe' });
    expect(() => readQuery(req, z.object({ dryRun: z.enum(['true', 'false']).optional() }))).toThrow(AppError);
  });
});
