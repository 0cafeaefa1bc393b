/** GET /auditLogs/signIns (signin-list.md): newest first, $filter, $top up to 1000 (also the default page size). */
import { permissionDenied, resourceNotFound } from '../errors';
import { paginate } from '../odata/paging';
import { compileFilter, parseSelect, parseTop, project, refuseUnsupported } from '../odata/query';
import type { RouteDef } from '../router';
import type { Json } from '../types';
import { entity, pageResult } from './common';

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
      return pageResult(call, 'auditLogs/signIns', page, (s: Json) => project(s, select), false);
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
      return entity(call, 'auditLogs/signIns/$entity', project(found, parseSelect(call)));
    },
  },
];
