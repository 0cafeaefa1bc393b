/**
 * identity/conditionalAccess/policies and namedLocations: full CRUD (conditionalaccesspolicy-*.md,
 * namedlocation-*.md). PATCH deep-merges objects (the documented PATCH examples send only the changed nested
 * property) and replaces arrays. Throttled at 1 request per second per tenant without Retry-After.
 */
import { randomUUID } from 'node:crypto';

import { badRequest, resourceNotFound } from '../errors';
import { parseSelect, project } from '../odata/query';
import { CA_WRITE_PERMISSIONS, requireAnyPermission } from '../permissions';
import type { RouteDef } from '../router';
import { isJsonObject, type Json } from '../types';
import { collection, entity, isoNow, jsonBody, noContent } from './common';

const POLICY_STATES = new Set(['enabled', 'disabled', 'enabledForReportingButNotEnforced']);
const LOCATION_TYPES = new Set(['#microsoft.graph.ipNamedLocation', '#microsoft.graph.countryNamedLocation']);
const READ_ONLY = new Set(['id', 'createdDateTime', 'modifiedDateTime', '@odata.context']);

export function deepMerge(target: Json, patch: Json): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (isJsonObject(value) && isJsonObject(current)) deepMerge(current, value);
    else target[key] = structuredClone(value);
  }
}

/** Fills the empty collections and nulls Graph returns on a created policy (conditionalaccessroot-post-policies.md). */
function normalisePolicy(p: Json): Json {
  const sub = (v: unknown): Json => (isJsonObject(v) ? v : {});
  const fill = (target: Json, defaults: Json): Json => {
    for (const [k, v] of Object.entries(defaults)) if (target[k] === undefined) target[k] = v;
    return target;
  };
  const conditions = fill(sub(p.conditions), {
    signInRiskLevels: [],
    userRiskLevels: [],
    clientAppTypes: [],
    platforms: null,
    locations: null,
  });
  conditions.applications = fill(sub(conditions.applications), {
    includeApplications: [],
    excludeApplications: [],
    includeUserActions: [],
  });
  conditions.users = fill(sub(conditions.users), {
    includeUsers: [],
    excludeUsers: [],
    includeGroups: [],
    excludeGroups: [],
    includeRoles: [],
    excludeRoles: [],
  });
  p.conditions = conditions;
  p.grantControls = isJsonObject(p.grantControls)
    ? fill(p.grantControls, { builtInControls: [], customAuthenticationFactors: [], termsOfUse: [] })
    : null;
  p.sessionControls = isJsonObject(p.sessionControls) ? p.sessionControls : null;
  return p;
}

function withoutReadOnly(body: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(body)) if (!READ_ONLY.has(k)) out[k] = v;
  return out;
}

function validatePolicy(p: Json, creating: boolean): void {
  if (creating && (typeof p.displayName !== 'string' || p.displayName.length === 0))
    throw badRequest("The 'displayName' property is required.", 'BadRequest');
  if ((creating || 'state' in p) && (typeof p.state !== 'string' || !POLICY_STATES.has(p.state))) {
    throw badRequest("Invalid value for 'state': use enabled, disabled or enabledForReportingButNotEnforced.", 'BadRequest');
  }
  if (creating && !isJsonObject(p.conditions)) throw badRequest("The 'conditions' property is required.", 'BadRequest');
  if (creating && !isJsonObject(p.grantControls) && !isJsonObject(p.sessionControls)) {
    throw badRequest('A policy needs grantControls or sessionControls.', 'BadRequest');
  }
}

function validateLocation(l: Json, creating: boolean): void {
  const type = l['@odata.type'];
  // namedlocation-update.md: the @odata.type must be given on update too.
  if (typeof type !== 'string' || !LOCATION_TYPES.has(type)) {
    throw badRequest(
      "The '@odata.type' property is required: #microsoft.graph.ipNamedLocation or #microsoft.graph.countryNamedLocation.",
      'BadRequest',
    );
  }
  if (creating && (typeof l.displayName !== 'string' || l.displayName.length === 0))
    throw badRequest("The 'displayName' property is required.", 'BadRequest');
  if (creating && type === '#microsoft.graph.ipNamedLocation' && !Array.isArray(l.ipRanges))
    throw badRequest("The 'ipRanges' property is required.", 'BadRequest');
  if (creating && type === '#microsoft.graph.countryNamedLocation' && !Array.isArray(l.countriesAndRegions)) {
    throw badRequest("The 'countriesAndRegions' property is required.", 'BadRequest');
  }
}

type Env = Parameters<RouteDef['handler']>[0]['env'];

/** One CRUD collection of the identity/conditionalAccess tree. */
interface Collection {
  readonly base: string;
  readonly fragment: string;
  readonly items: (env: Env) => Map<string, Json>;
  readonly validate: (o: Json, creating: boolean) => void;
  readonly normalise: (o: Json) => Json;
}

function existing(c: Collection, env: Env, id: string): Json {
  const obj = c.items(env).get(id);
  if (!obj) throw resourceNotFound(id);
  return obj;
}

function listRoute(c: Collection): RouteDef {
  return {
    method: 'GET',
    path: c.base,
    throttle: 'protection',
    handler: ({ call, env }) => {
      const select = parseSelect(call);
      return collection(
        call,
        c.fragment,
        [...c.items(env).values()].map((o) => project(o, select)),
      );
    },
  };
}

function createRoute(c: Collection): RouteDef {
  return {
    method: 'POST',
    path: c.base,
    throttle: 'protection',
    handler: ({ call, env }) => {
      requireAnyPermission(env, CA_WRITE_PERMISSIONS);
      const body = withoutReadOnly(jsonBody(call));
      c.validate(body, true);
      // The documented create response has modifiedDateTime null; the first PATCH sets it.
      const obj = c.normalise({ ...structuredClone(body), id: randomUUID(), createdDateTime: isoNow(), modifiedDateTime: null });
      c.items(env).set(String(obj.id), obj);
      return entity(call, `${c.fragment}/$entity`, obj, 201);
    },
  };
}

function getRoute(c: Collection): RouteDef {
  return {
    method: 'GET',
    path: `${c.base}/{id}`,
    throttle: 'protection',
    handler: ({ call, params, env }) =>
      entity(call, `${c.fragment}/$entity`, project(existing(c, env, params[0] ?? ''), parseSelect(call))),
  };
}

function updateRoute(c: Collection): RouteDef {
  return {
    method: 'PATCH',
    path: `${c.base}/{id}`,
    throttle: 'protection',
    handler: ({ call, params, env }) => {
      const obj = existing(c, env, params[0] ?? '');
      requireAnyPermission(env, CA_WRITE_PERMISSIONS);
      const body = withoutReadOnly(jsonBody(call));
      c.validate(body, false);
      if (
        typeof body['@odata.type'] === 'string' &&
        obj['@odata.type'] !== undefined &&
        body['@odata.type'] !== obj['@odata.type']
      ) {
        throw badRequest('The @odata.type of an existing object cannot be changed.', 'BadRequest');
      }
      deepMerge(obj, body);
      obj.modifiedDateTime = isoNow();
      return noContent();
    },
  };
}

function deleteRoute(c: Collection): RouteDef {
  return {
    method: 'DELETE',
    path: `${c.base}/{id}`,
    throttle: 'protection',
    handler: ({ params, env }) => {
      const id = params[0] ?? '';
      existing(c, env, id);
      requireAnyPermission(env, CA_WRITE_PERMISSIONS);
      c.items(env).delete(id);
      return noContent();
    },
  };
}

function crud(
  base: string,
  fragment: string,
  items: (env: Env) => Map<string, Json>,
  validate: (o: Json, creating: boolean) => void,
  normalise: (o: Json) => Json = (o) => o,
): RouteDef[] {
  const c: Collection = { base, fragment, items, validate, normalise };
  return [listRoute(c), createRoute(c), getRoute(c), updateRoute(c), deleteRoute(c)];
}

export const conditionalAccessRoutes: RouteDef[] = [
  ...crud(
    '/identity/conditionalAccess/policies',
    'identity/conditionalAccess/policies',
    (env) => env.state.caPolicies,
    validatePolicy,
    normalisePolicy,
  ),
  ...crud(
    '/identity/conditionalAccess/namedLocations',
    'identity/conditionalAccess/namedLocations',
    (env) => env.state.namedLocations,
    validateLocation,
  ),
];
