/**
 * Graph's error body: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`
 * (https://learn.microsoft.com/graph/errors). Route handlers throw GraphError; the pipeline renders it.
 */
import type { GraphResult } from './types';

export class GraphError extends Error {
  override readonly name = 'GraphError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Extra innerError members (429s carry `code`, `message`, `status` per concepts/throttling.md). */
    readonly inner: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Graph's throttled body (concepts/throttling.md sample): innerError repeats the status. */
export const THROTTLED_INNER = { code: '429', message: 'Please retry after', status: '429' };

export function errorBody(
  code: string,
  message: string,
  requestId: string,
  clientRequestId: string,
  inner: Record<string, string> = {},
): unknown {
  return {
    error: {
      code,
      message,
      innerError: {
        ...inner,
        date: new Date().toISOString().slice(0, 19),
        'request-id': requestId,
        'client-request-id': clientRequestId,
      },
    },
  };
}

export function errorResult(err: GraphError, requestId: string, clientRequestId: string): GraphResult {
  return {
    status: err.status,
    headers: { ...err.headers },
    body: errorBody(err.code, err.message, requestId, clientRequestId, err.inner),
  };
}

/** Directory's 404 wording for a missing object (group-post-members.md, user-get.md). */
export const resourceNotFound = (id: string): GraphError =>
  new GraphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

export const badRequest = (message: string, code = 'Request_BadRequest'): GraphError => new GraphError(400, code, message);

export const unsupportedQuery = (message: string): GraphError => new GraphError(400, 'Request_UnsupportedQuery', message);

export const invalidObjectId = (id: string): GraphError => badRequest(`Invalid object identifier '${id}'.`);

/**
 * 403 for a permission the app was not granted (knob `deniedPermissions`). Graph's body differs per workload and is
 * not documented for every route; the sign-in logs' wording is widely reported, the rest use the directory's.
 */
export const permissionDenied = (permission: string): GraphError =>
  permission === 'AuditLog.Read.All'
    ? new GraphError(
        403,
        'Authentication_MSGraphPermissionMissing',
        `Calling principal does not have required MSGraph permissions ${permission}`,
      )
    : new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
