import type { HttpResponseInit } from '@azure/functions';

import { version } from '../package.json';
import { json } from '../shared/http/respond';
import { httpFunction } from '../shared/runtime/definitions';
import { getServices } from '../shared/runtime/services';

/**
 * `GET /api/console/config`: what the console needs before anyone signs in: the public client id, authority and API
 * scope (all public values, no secret), or `auth: null` when the app runs without sign-in (the local stack).
 */
export async function consoleConfigHandler(): Promise<HttpResponseInit> {
  const { config } = getServices();
  return json(200, { auth: config.console.auth ?? null, version }, { 'cache-control': 'no-store' });
}

export const consoleConfig = httpFunction('consoleConfig', {
  route: 'console/config',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: consoleConfigHandler,
});
