/**
 * identityProtection/riskyUsers (list, get, dismiss, confirmCompromised) and riskDetections (riskyuser-*.md,
 * riskdetection-list.md). Throttled at 1 request per second per tenant without Retry-After.
 */
import { badRequest, GraphError, permissionDenied, resourceNotFound } from '../errors';
import { paginate } from '../odata/paging';
import { compileFilter, parseSelect, parseTop, project, refuseUnsupported } from '../odata/query';
import type { RouteDef } from '../router';
import type { Json, RouteContext } from '../types';
import { entity, isoNow, jsonBody, noContent, pageResult, requireStringArray } from './common';

const PAGE = { defaultSize: 100, max: 500 };

const READ_USERS = 'IdentityRiskyUser.Read.All';
const WRITE_USERS = 'IdentityRiskyUser.ReadWrite.All';
const READ_DETECTIONS = 'IdentityRiskEvent.Read.All';

/**
 * Detections a tenant without Entra ID P2 still sees by type; the others are "premium" and show as `generic`
 * (riskdetection.md: "If the risk detection is a premium detection, will show generic").
 */
const NON_PREMIUM = new Set([
  'anonymizedIPAddress',
  'leakedCredentials',
  'investigationsThreatIntelligence',
  'adminConfirmedUserCompromised',
  'generic',
]);

function requirePermission(ctx: RouteContext, permission: string): void {
  if (ctx.env.knobs.deniedPermissions.includes(permission)) throw permissionDenied(permission);
}

/**
 * riskyUsers needs Entra ID P2 (identityprotection-overview.md: "The riskyUsers API is only available with a P2
 * license"). The error body for an unlicensed tenant is not documented; the sandbox answers 403 with this one.
 */
function requireP2(ctx: RouteContext): void {
  if (!ctx.env.state.tenant.entraIdP2)
    throw new GraphError(403, 'Forbidden', 'The tenant does not have a valid Microsoft Entra ID P2 license for this request.');
}

/** What a P1 tenant sees of a detection: level and detail hidden, premium types as generic. */
function limited(d: Json): Json {
  return {
    ...d,
    riskLevel: 'hidden',
    riskDetail: 'hidden',
    riskEventType: NON_PREMIUM.has(String(d.riskEventType)) ? d.riskEventType : 'generic',
  };
}

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
    handler: (ctx) => {
      const { call, env } = ctx;
      requirePermission(ctx, READ_USERS);
      requireP2(ctx);
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
    handler: (ctx) => {
      const { call, params, env } = ctx;
      requirePermission(ctx, READ_USERS);
      requireP2(ctx);
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
      requirePermission(ctx, WRITE_USERS);
      requireP2(ctx);
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
      requirePermission(ctx, WRITE_USERS);
      requireP2(ctx);
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
    handler: (ctx) => {
      const { call, env } = ctx;
      requirePermission(ctx, READ_DETECTIONS);
      refuseUnsupported(call);
      const select = parseSelect(call);
      const top = parseTop(call, PAGE);
      const predicate = compileFilter(call, { resource: 'riskDetection', directory: false, caseInsensitive: true });
      const visible = env.state.tenant.entraIdP2 ? env.state.riskDetections : env.state.riskDetections.map(limited);
      const page = paginate(call, env.cursors, top, () => (predicate ? visible.filter(predicate) : visible));
      return pageResult(call, 'identityProtection/riskDetections', page, (r: Json) => project(r, select), false);
    },
  },
  {
    method: 'GET',
    path: '/identityProtection/riskDetections/{id}',
    throttle: 'protection',
    handler: (ctx) => {
      const { call, params, env } = ctx;
      requirePermission(ctx, READ_DETECTIONS);
      const id = params[0] ?? '';
      const r = env.state.riskDetections.find((d) => d.id === id);
      if (!r) throw resourceNotFound(id);
      const shown = env.state.tenant.entraIdP2 ? r : limited(r);
      return entity(call, 'identityProtection/riskDetections/$entity', project(shown, parseSelect(call)));
    },
  },
];
