import type { HttpRequest, HttpResponseInit } from '@azure/functions';

import { consoleAsset } from '../shared/console/assets';
import { httpFunction } from '../shared/runtime/definitions';
import { getServices } from '../shared/runtime/services';

/**
 * `GET /api/console/...`: the operator console's page, script and stylesheet. Anonymous on purpose: these are the
 * same public files for everyone and carry no data; every API call the page makes is authorised on its own route.
 */
export async function consoleAssetsHandler(request: HttpRequest): Promise<HttpResponseInit> {
  const requested = request.params.path;
  const url = new URL(request.url);
  // `/api/console` → `/api/console/`, so the page has one address (the sign-in redirect URI).
  if (!requested && !url.pathname.endsWith('/')) return { status: 302, headers: { location: `${url.pathname}/${url.search}` } };
  return consoleAsset(requested, getServices().config);
}

export const consoleAssets = httpFunction('consoleAssets', {
  route: 'console/{*path}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: consoleAssetsHandler,
});
