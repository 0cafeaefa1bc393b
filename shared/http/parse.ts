import type { HttpRequest } from '@azure/functions';
import type { z } from 'zod';

import { AppError, badRequest } from '../errors';

/** zod issues as `details`: each names the field to fix. */
export function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, code: string, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = issuesOf(parsed.error);
    const first = details[0];
    throw badRequest(code, `Invalid ${what}${first ? `: ${first.path} ${first.message}` : ''}`, details);
  }
  return parsed.data;
}

const MAX_JSON_BYTES = 1024 * 1024;

/**
 * The body, read while it streams (the app runs with `enableHttpStream`) and abandoned with 413 as soon as it passes
 * `maxBytes`: a caller cannot make the app buffer more than the limit, whatever it declares or sends.
 */
export async function readBodyCapped(req: HttpRequest, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new AppError('BODY_TOO_LARGE', `Request bodies are limited to ${maxBytes} bytes`, 413, { limit: maxBytes });
  if (Number(req.headers.get('content-length') ?? 0) > maxBytes) throw tooLarge();
  const body = req.body as ReadableStream<Uint8Array> | null;
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      total += next.value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(next.value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, total);
}

/** Reads and validates a JSON body; wrong content type → 415, over 1 MiB → 413, unparsable → 400, schema violations → 400 with details. */
export async function readJson<S extends z.ZodType>(req: HttpRequest, schema: S): Promise<z.output<S>> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json', 415, { contentType: type || null });
  }
  const text = (await readBodyCapped(req, MAX_JSON_BYTES)).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest('INVALID_JSON', 'The body is not valid JSON', { reason: err instanceof Error ? err.message : String(err) });
  }
  return parseWith(schema, value, 'INVALID_BODY', 'body');
}

export function readQuery<S extends z.ZodType>(req: HttpRequest, schema: S): z.output<S> {
  return parseWith(schema, Object.fromEntries(req.query.entries()), 'INVALID_QUERY', 'query');
}

export function readParams<S extends z.ZodType>(req: HttpRequest, schema: S): z.output<S> {
  return parseWith(schema, req.params, 'INVALID_PATH', 'path parameter');
}
