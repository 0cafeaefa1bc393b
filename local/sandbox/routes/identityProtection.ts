/**
 * identityProtection/riskyUsers (list, get, dismiss, confirmCompromised) and riskDetections (riskyuser-*.md,
 * riskdetection-list.md). Throttled at 1 request per second per tenant without Retry-After.
 */
import { badRequest, resourceNotFound } from '../errors';
import { paginate } from '../odata/paging';
import { compileFilter, parseSelect, parseTop, project, refuseUnsupported } from '../odata/query';
import type { RouteDef } from '../router';
import type { Json, RouteContext } from '../types';
import { entity, isoNow, jsonBody, noContent, pageResult, requireStringArray } from './common';

const PAGE = { defaultSize: 100, max: 500 };

function userIds(ctx: RouteContext): string[] {
  const ids = requireStringArray(jsonBody(ctx.call).userIds, 'userIds');
  if (ids.length === 0)
    throw badRequest("Invalid value specified for property 'userIds': at least one user id is required.", 'BadRequest');
  return ids;
}

function riskyUserFor(ctx: RouteContext, id: string): Json | undefined {
  const existing = ctx.env.state.riskyUsers.get(id);
  if (existing) return existing;
  const user = ctx.env.state.users.get(id);
  if (!user) return undefined;
  // Confirming a user without prior risk creates their riskyUser record, as the portal shows after the action.
  const created: Json = {
    id,
    isDeleted: false,
    isProcessing: false,
    riskLastUpdatedDateTime: isoNow(),
    riskLevel: 'none',
    riskState: 'none',
    riskDetail: 'none',
    userDisplayName: user.displayName ?? null,
    userPrincipalName: user.userPrincipalName ?? null,
  };
  ctx.env.state.riskyUsers.set(id, created);
  return created;
}

export const identityProtectionRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/identityProtection/riskyUsers',
    throttle: 'protection',
    handler: ({ call, env }) => {
      refuseUnsupported(call);
      const select = parseSelect(call);
      const top = parseTop(call, PAGE);
      const predicate = compileFilter(call, { resource: 'riskyUser', directory: false, caseInsensitive: true });
      const page = paginate(call, env.cursors, top, () =>
        [...env.state.riskyUsers.values()].filter((r) => !predicate || predicate(r)),
      );
      return pageResult(call, 'identityProtection/riskyUsers', page, (r: Json) => project(r, select), false);
    },
  },
  {
    method: 'GET',
    path: '/identityProtection/riskyUsers/{id}',
    throttle: 'protection',
    handler: ({ call, params, env }) => {
      const id = params[0] ?? '';
      const r = env.state.riskyUsers.get(id);
      if (!r) throw resourceNotFound(id);
      return entity(call, 'identityProtection/riskyUsers/$entity', project(r, parseSelect(call)));
    },
  },
  {
    method: 'POST',
    path: '/identityProtection/riskyUsers/dismiss',
    throttle: 'protection',
    handler: (ctx) => {
      const now = isoNow();
      for (const id of userIds(ctx)) {
        const r = ctx.env.state.riskyUsers.get(id);
        if (!r) continue;
        // riskyuser-dismiss.md: dismissal sets the risk level to none.
        Object.assign(r, {
          riskState: 'dismissed',
          riskDetail: 'adminDismissedAllRiskForUser',
          riskLevel: 'none',
          riskLastUpdatedDateTime: now,
        });
      }
      return noContent();
    },
  },
  {
    method: 'POST',
    path: '/identityProtection/riskyUsers/confirmCompromised',
    throttle: 'protection',
    handler: (ctx) => {
      const now = isoNow();
      for (const id of userIds(ctx)) {
        const r = riskyUserFor(ctx, id);
        if (!r) continue;
        // riskyuser-confirmcompromised.md: sets the user's risk level to high.
        Object.assign(r, {
          riskState: 'confirmedCompromised',
          riskDetail: 'adminConfirmedUserCompromised',
          riskLevel: 'high',
          riskLastUpdatedDateTime: now,
        });
      }
      return noContent();
    },
  },
  {
    method: 'GET',
    path: '/identityProtection/riskDetections',
    throttle: 'protection',
    handler: ({ call, env }) => {
      refuseUnsupported(call);
      const select = parseSelect(call);
      const top = parseTop(call, PAGE);
      const predicate = compileFilter(call, { resource: 'riskDetection', directory: false, caseInsensitive: true });
      const page = paginate(call, env.cursors, top, () =>
        predicate ? env.state.riskDetections.filter(predicate) : env.state.riskDetections,
      );
      return pageResult(call, 'identityProtection/riskDetections', page, (r: Json) => project(r, select), false);
    },
  },
  {
    method: 'GET',
    path: '/identityProtection/riskDetections/{id}',
    throttle: 'protection',
    handler: ({ call, params, env }) => {
      const id = params[0] ?? '';
      const r = env.state.riskDetections.find((d) => d.id === id);
      if (!r) throw resourceNotFound(id);
      return entity(call, 'identityProtection/riskDetections/$entity', project(r, parseSelect(call)));
    },
  },
];
