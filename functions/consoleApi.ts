import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { forwardToApi } from '../shared/console/gateway';
import { httpFunction } from '../shared/runtime/definitions';
import { getServices } from '../shared/runtime/services';
import { allFunctions } from './catalog';

/**
 * `/api/console/api/{route}`: the console's door to the API, one definition per verb. Anonymous at the host because a
 * browser never holds a function key; every call is authenticated in the app with an Entra bearer token and app roles
 * (see shared/console/gateway.ts), then handled by the same handler as `/api/{route}`.
 */
export function consoleApiHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return forwardToApi(request, context, getServices().config, allFunctions);
}

const door = (name: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE') =>
  httpFunction(name, { route: 'console/api/{*path}', methods: [method], authLevel: 'anonymous', handler: consoleApiHandler });

export const consoleApiGet = door('consoleApiGet', 'GET');
export const consoleApiPost = door('consoleApiPost', 'POST');
export const consoleApiPut = door('consoleApiPut', 'PUT');
export const consoleApiDelete = door('consoleApiDelete', 'DELETE');
