/**
 * Graph's 403 on an app-only call means the app's identity lacks an application permission (or a directory role).
 * Graph's body does not say which one, so the adapter that knows the call names the least-privileged permission
 * declared for it in infra/graph-permissions.json: the operator gets one actionable sentence instead of a 500.
 */
import { AppError } from '../errors';
import { isGraphError } from './errors';

export function permissionMissing(call: string, permission: string): AppError {
  return new AppError(
    'GRAPH_PERMISSION_MISSING',
    `Graph refused ${call} (403): the app's identity lacks the application permission ${permission}; grant it with infra/grant-graph-permissions.sh`,
    403,
    { call, permission },
  );
}

/** Rethrows a Graph 403 as GRAPH_PERMISSION_MISSING naming the permission; anything else unchanged. */
export async function namingPermission<T>(call: string, permission: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isGraphError(err, 403)) throw permissionMissing(call, permission);
    throw err;
  }
}
