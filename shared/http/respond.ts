import type { HttpResponseInit } from '@azure/functions';

import type { AppError } from '../errors';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

export function errorResponse(error: AppError, headers: Record<string, string> = {}): HttpResponseInit {
  return json(error.status, { error: error.toBody() }, headers);
}
