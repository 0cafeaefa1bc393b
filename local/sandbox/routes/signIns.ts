/** GET /auditLogs/signIns (signin-list.md): newest first, $filter, $top up to 1000 (also the default page size). */
import type { SandboxEnv } from '../env';
import { permissionDenied, resourceNotFound } from '../errors';
import { paginate } from '../odata/paging';
import { compileFilter, parseSelect, parseTop, project, refuseUnsupported } from '../odata/query';
import type { RouteDef } from '../router';
import { type GraphCall, isJsonObject, type Json } from '../types';
import { entity, pageResult } from './common';

/**
 * appliedconditionalaccesspolicy.md: "The data in this object is returned only for callers with privileges to read
 * conditional access data" (Policy.Read.All, Policy.ReadWrite.ConditionalAccess or Policy.Read.ConditionalAccess);
 * without them the list comes back empty while conditionalAccessStatus still says failure.
 */
const CA_READ_PERMISSIONS = ['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess', 'Policy.Read.ConditionalAccess'];

/** The reportOnly* results are evolvable-enum members: only sent with `Prefer: include-unknown-enum-members`. */
const EVOLVABLE_RESULTS = new Set(['reportOnlySuccess', 'reportOnlyFailure', 'reportOnlyNotApplied', 'reportOnlyInterrupted']);

function render(env: SandboxEnv, call: GraphCall, signIn: Json): Json {
  const applied = signIn.appliedConditionalAccessPolicies;
  if (!Array.isArray(applied)) return signIn;
  if (CA_READ_PERMISSIONS.every((p) => env.knobs.deniedPermissions.includes(p))) {
    return { ...signIn, appliedConditionalAccessPolicies: [] };
  }
  const includeUnknown = /include-unknown-enum-members/i.test(call.headers.prefer ?? '');
  if (includeUnknown) return signIn;
  return {
    ...signIn,
    appliedConditionalAccessPolicies: applied.map((a: unknown) =>
      isJsonObject(a) && typeof a.result === 'string' && EVOLVABLE_RESULTS.has(a.result)
        ? { ...a, result: 'unknownFutureValue' }
        : a,
    ),
  };
}

export const signInRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/auditLogs/signIns',
    throttle: 'reports',
    handler: ({ call, env }) => {
      if (env.knobs.deniedPermissions.includes('AuditLog.Read.All')) throw permissionDenied('AuditLog.Read.All');
      refuseUnsupported(call);
      const select = parseSelect(call);
      const top = parseTop(call, { defaultSize: 1000, max: 1000 });
      // signin.md: userPrincipalName eq is case-sensitive on the sign-in log (unlike the directory).
      const predicate = compileFilter(call, { resource: 'signIn', directory: false, caseInsensitive: false });
      const page = paginate(call, env.cursors, top, () => (predicate ? env.state.signIns.filter(predicate) : env.state.signIns));
      return pageResult(call, 'auditLogs/signIns', page, (s: Json) => project(render(env, call, s), select), false);
    },
  },
  {
    method: 'GET',
    path: '/auditLogs/signIns/{id}',
    throttle: 'reports',
    handler: ({ call, params, env }) => {
      if (env.knobs.deniedPermissions.includes('AuditLog.Read.All')) throw permissionDenied('AuditLog.Read.All');
      const id = params[0] ?? '';
      const found = env.state.signIns.find((s) => s.id === id);
      if (!found) throw resourceNotFound(id);
      return entity(call, 'auditLogs/signIns/$entity', project(render(env, call, found), parseSelect(call)));
    },
  },
];
