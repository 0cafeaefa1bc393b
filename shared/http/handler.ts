/**
 * Wraps a route: app-role check, the invocation logger, and the one error model. Expected failures (AppError) map to
 * their status; anything else is a 500 that names the invocation id (details stay in the log, never in the response).
 */

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { AppError, toError } from '../errors';
import { type Invocation, invocation } from '../runtime/invocation';
import { type Access, authorize, type Caller } from './auth';
import { errorResponse } from './respond';

export interface HttpCall extends Invocation {
  readonly request: HttpRequest;
  readonly context: InvocationContext;
  readonly caller: Caller;
}

/** An `HttpHandler` whose result is always a plain `HttpResponseInit` (easy to assert on in tests). */
export type JsonHttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export function httpHandler(fn: (call: HttpCall) => Promise<HttpResponseInit>, access?: Access): JsonHttpHandler {
  return async (request, context) => {
    let scope: Invocation;
    try {
      scope = invocation(context);
    } catch (err) {
      context.error(`entra-ops cannot start: ${toError(err).message}`);
      return errorResponse(new AppError('CONFIGURATION_ERROR', 'The app is misconfigured; see the function logs', 503));
    }
    const needed: Access = access ?? (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write');
    try {
      const caller = await authorize(request, needed, scope.services.config.http);
      return await fn({ ...scope, request, context, caller });
    } catch (err) {
      if (err instanceof AppError) {
        if (err.status >= 500) scope.log.error({ err, errorCode: err.code }, 'request failed');
        else scope.log.info({ errorCode: err.code, status: err.status }, 'request rejected');
        // RFC 6750: a 401 names the scheme the caller should present.
        return errorResponse(err, err.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
      }
      scope.log.error({ err: toError(err) }, 'unhandled error');
      return errorResponse(
        new AppError('INTERNAL_ERROR', `Unexpected error; see the logs for invocation ${context.invocationId}`, 500),
      );
    }
  };
}
