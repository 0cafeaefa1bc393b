/** groups: CRUD, members / transitiveMembers (casts, $count), members/$ref add and remove, members@odata.bind. */
import { randomUUID } from 'node:crypto';

import type { SandboxEnv } from '../env';
import { badRequest, GraphError, resourceNotFound } from '../errors';
import { isValidMembershipRule } from '../membershipRule';
import { paginate } from '../odata/paging';
import { compileFilter, isAdvancedQuery, parseSelect, parseTop, project, refuseUnsupported } from '../odata/query';
import { GROUP_CREATE_PERMISSIONS, requireAnyPermission } from '../permissions';
import type { RouteDef } from '../router';
import { type DirectoryKind, type GroupRecord } from '../state';
import { type Json, type RouteContext } from '../types';
import {
  entity,
  isoNow,
  jsonBody,
  noContent,
  ON_PREMISES_MASTERED,
  pageResult,
  refId,
  renderDirectoryObject,
  requireCount,
  requireGroup,
} from './common';
import { DIRECTORY_PAGE, directoryListRoutes } from './directoryList';

/** group-update.md: "up to 20 members" per members@odata.bind PATCH. */
const MAX_BIND = 20;

export const NOT_A_MEMBER =
  "One or more removed object references do not exist for the following modified properties: 'members'.";

export const ALREADY_MEMBER =
  "One or more added object references already exist for the following modified properties: 'members'.";

function renderGroup(rec: GroupRecord, select: readonly string[] | undefined): Json {
  return project(rec.obj, select);
}

/**
 * Membership of dynamic, on-premises-synced and mail-enabled (non-Unified) groups cannot be written through Graph.
 * Messages are the directory's own wording as reported publicly (see local/sandbox/FIDELITY.md).
 */
export function assertMembershipWritable(rec: GroupRecord): void {
  const g = rec.obj;
  const types = Array.isArray(g.groupTypes) ? g.groupTypes : [];
  if (g.onPremisesSyncEnabled === true) throw badRequest(ON_PREMISES_MASTERED);
  if (types.includes('DynamicMembership')) {
    throw new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  }
  if (g.mailEnabled === true && !types.includes('Unified')) {
    throw badRequest('Cannot Update a mail-enabled security groups and or distribution list.');
  }
}

/** Resolves a member reference for a write: 404 when unknown or not yet visible (eventual consistency). */
function requireMemberObject(env: SandboxEnv, id: string): void {
  if (env.state.kindOf(id) === undefined || !env.state.isVisible(id)) throw resourceNotFound(id);
}

const CAST_KINDS: Record<string, DirectoryKind> = {
  'microsoft.graph.user': 'user',
  'microsoft.graph.group': 'group',
  'microsoft.graph.device': 'device',
  'microsoft.graph.serviceprincipal': 'servicePrincipal',
};

function membersHandler(transitive: boolean, cast: string | undefined) {
  return ({ call, params, env }: RouteContext) => {
    refuseUnsupported(call);
    const rec = requireGroup(env, params[0] ?? '');
    const groupId = String(rec.obj.id);
    const select = parseSelect(call);
    const top = parseTop(call, DIRECTORY_PAGE);
    const count = requireCount(call);
    // group-list-transitivemembers.md: OData casts on transitiveMembers need ConsistencyLevel: eventual and $count=true.
    if (cast && transitive && !(count && isAdvancedQuery(call))) {
      throw badRequest(
        "OData cast on transitiveMembers requires the 'ConsistencyLevel: eventual' header and $count=true.",
        'Request_UnsupportedQuery',
      );
    }
    const kind = cast ? CAST_KINDS[cast.toLowerCase()] : undefined;
    const predicate = compileFilter(call, { resource: 'DirectoryObject', directory: true, caseInsensitive: true });
    // group-list-members.md (known issue): v1.0 `GET /groups/{id}/members` does not list service principals, while
    // delta reports them; the cast to microsoft.graph.servicePrincipal is the documented way to see them.
    const hideServicePrincipals = !transitive && !kind;
    const page = paginate(call, env.cursors, top, () => {
      const ids = transitive ? env.state.transitiveMembers(groupId) : [...rec.members];
      if (!kind && !predicate && !hideServicePrincipals) return ids;
      return ids.filter((id) => {
        if (hideServicePrincipals && env.state.kindOf(id) === 'servicePrincipal') return false;
        if (kind && env.state.kindOf(id) !== kind) return false;
        if (!predicate) return true;
        const obj = env.state.rawObject(id);
        return obj !== undefined && predicate(obj);
      });
    });
    const fragment = kind ? `${kind === 'servicePrincipal' ? 'servicePrincipals' : `${kind}s`}` : 'directoryObjects';
    return pageResult(call, fragment, page, (id) => renderDirectoryObject(env, id, select), count);
  };
}

function countHandler(transitive: boolean) {
  return ({ call, params, env }: RouteContext) => {
    if (!isAdvancedQuery(call))
      throw badRequest("Count is not supported without the 'ConsistencyLevel: eventual' request header.");
    const rec = requireGroup(env, params[0] ?? '');
    const n = transitive ? env.state.transitiveMembers(String(rec.obj.id)).length : rec.members.size;
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: String(n) };
  };
}

function memberRoutes(): RouteDef[] {
  const routes: RouteDef[] = [];
  for (const [segment, transitive, cost] of [
    ['members', false, 3],
    ['transitiveMembers', true, 5],
  ] as const) {
    routes.push({
      method: 'GET',
      path: `/groups/{id}/${segment}`,
      throttle: 'identity',
      cost,
      handler: membersHandler(transitive, undefined),
    });
    routes.push({
      method: 'GET',
      path: `/groups/{id}/${segment}/$count`,
      throttle: 'identity',
      cost,
      handler: countHandler(transitive),
    });
    for (const cast of [
      'microsoft.graph.user',
      'microsoft.graph.group',
      'microsoft.graph.device',
      'microsoft.graph.servicePrincipal',
    ]) {
      routes.push({
        method: 'GET',
        path: `/groups/{id}/${segment}/${cast}`,
        throttle: 'identity',
        cost,
        handler: membersHandler(transitive, cast),
      });
    }
  }
  return routes;
}

const GROUP_READ_ONLY = new Set([
  'id',
  'createdDateTime',
  'onPremisesSyncEnabled',
  'renewedDateTime',
  'deletedDateTime',
  'members',
]);

/**
 * The default properties Graph returns for a group it just created (group-post-groups.md, create_prepopulated_group):
 * nulls and empty lists, `renewedDateTime` = creation time, and the security identifier Entra derives from the object
 * id (S-1-12-1- followed by the GUID's 16 bytes read as four little-endian 32-bit numbers).
 */
function createdGroupDefaults(id: string, created: string): Json {
  const hex = id.replace(/-/g, '');
  const bytes = Buffer.from(
    hex.slice(6, 8) +
      hex.slice(4, 6) +
      hex.slice(2, 4) +
      hex.slice(0, 2) +
      hex.slice(10, 12) +
      hex.slice(8, 10) +
      hex.slice(14, 16) +
      hex.slice(12, 14) +
      hex.slice(16),
    'hex',
  );
  const sid = [0, 4, 8, 12].map((o) => bytes.readUInt32LE(o)).join('-');
  const nulls = [
    'deletedDateTime',
    'classification',
    'description',
    'expirationDateTime',
    'isAssignableToRole',
    'mail',
    'membershipRule',
    'membershipRuleProcessingState',
    'onPremisesDomainName',
    'onPremisesLastSyncDateTime',
    'onPremisesNetBiosName',
    'onPremisesSamAccountName',
    'onPremisesSecurityIdentifier',
    'onPremisesSyncEnabled',
    'preferredDataLocation',
    'preferredLanguage',
    'theme',
    'visibility',
  ];
  return {
    ...Object.fromEntries(nulls.map((k) => [k, null])),
    proxyAddresses: [],
    renewedDateTime: created,
    resourceBehaviorOptions: [],
    resourceProvisioningOptions: [],
    securityIdentifier: `S-1-12-1-${sid}`,
    onPremisesProvisioningErrors: [],
  };
}

/**
 * A mail-enabled Microsoft 365 group gets an address from its mailNickname (group-post-groups.md, create_group:
 * "mail", "proxyAddresses" ["SMTP:…"]). Choice: the tenant's default domain, without the random digits Graph may add.
 */
function unifiedMail(body: Json, groupTypes: readonly string[], domain: string): Json {
  if (body.mailEnabled !== true || !groupTypes.includes('Unified')) return {};
  const mail = `${String(body.mailNickname)}@${domain}`;
  return { mail, proxyAddresses: [`SMTP:${mail}`] };
}

const PROCESSING_STATES = new Map([
  ['on', 'On'],
  ['paused', 'Paused'],
]);

/** What POST /groups refuses before creating anything; returns the group types. */
function validateNewGroup(body: Json): string[] {
  const required: [string, 'string' | 'boolean'][] = [
    ['displayName', 'string'],
    ['mailEnabled', 'boolean'],
    ['mailNickname', 'string'],
    ['securityEnabled', 'boolean'],
  ];
  for (const [prop, type] of required) {
    if (typeof body[prop] !== type) throw badRequest(`Invalid value specified for property '${prop}' of resource 'Group'.`);
  }
  const groupTypes = body.groupTypes ?? [];
  if (!Array.isArray(groupTypes) || !groupTypes.every((t) => typeof t === 'string')) {
    throw badRequest("Invalid value specified for property 'groupTypes' of resource 'Group'.");
  }
  if (body.mailEnabled === true && !groupTypes.includes('Unified')) {
    throw badRequest(
      'The service does not currently support writes of mail-enabled groups. Please ensure that the mail-enablement property is unset and the security-enablement property is set.',
    );
  }
  validateDynamicMembership(body, groupTypes);
  return groupTypes;
}

/**
 * group.md: membershipRule and membershipRuleProcessingState ("On" or "Paused") belong to dynamic groups (groupTypes
 * contains DynamicMembership), which need a rule. Graph's exact wording for each refusal is not documented: the
 * directory's "Invalid value specified for property" form is used (local/sandbox/FIDELITY.md).
 */
function validateDynamicMembership(body: Json, groupTypes: readonly string[]): void {
  const invalid = (prop: string) => badRequest(`Invalid value specified for property '${prop}' of resource 'Group'.`);
  const dynamic = groupTypes.includes('DynamicMembership');
  const rule = body.membershipRule;
  const state = body.membershipRuleProcessingState;
  if (dynamic && (typeof rule !== 'string' || !isValidMembershipRule(rule))) throw invalid('membershipRule');
  if (!dynamic && rule !== undefined && rule !== null) throw invalid('membershipRule');
  if (state !== undefined && state !== null) {
    // groups-overview.md creates a dynamic group with "on" and reads back "On": the value is case-insensitive.
    const canonical = typeof state === 'string' ? PROCESSING_STATES.get(state.toLowerCase()) : undefined;
    if (!dynamic || !canonical) throw invalid('membershipRuleProcessingState');
    body.membershipRuleProcessingState = canonical;
  }
  if (dynamic && body.isAssignableToRole === true) throw invalid('isAssignableToRole');
}

export const groupRoutes: RouteDef[] = [
  ...directoryListRoutes({
    path: '/groups',
    resource: 'Group',
    items: (env) => env.state.groups.values(),
    json: (g: GroupRecord) => g.obj,
    render: (g, select) => renderGroup(g, select),
  }),
  {
    method: 'POST',
    path: '/groups',
    throttle: 'identity',
    handler: ({ call, env }) => {
      requireAnyPermission(env, GROUP_CREATE_PERMISSIONS);
      const body = jsonBody(call);
      const groupTypes = validateNewGroup(body);
      const binds = body['members@odata.bind'];
      const memberIds = binds === undefined ? [] : bindIds(binds);
      if (memberIds.length > 0 && groupTypes.includes('DynamicMembership')) {
        throw new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
      }
      for (const id of memberIds) requireMemberObject(env, id);
      const rest: Json = {};
      for (const [k, v] of Object.entries(body)) if (!k.includes('@odata.bind')) rest[k] = v;
      const id = randomUUID();
      const created = isoNow();
      const group: Json & { id: string } = {
        ...createdGroupDefaults(id, created),
        ...unifiedMail(rest, groupTypes, env.state.tenant.defaultDomain),
        ...rest,
        groupTypes,
        id,
        createdDateTime: created,
      };
      env.state.createGroup(group);
      for (const id of memberIds) env.state.addMember(group.id, id);
      env.state.markCreated(group.id, env.visibleAtForNewObject());
      // The create answer (only) carries the object's directory URL, in Graph's v2 form with the tenant id.
      const odataId = `${call.origin}/v2/${env.state.tenant.id}/directoryObjects/${id}/Microsoft.DirectoryServices.Group`;
      return entity(call, 'groups/$entity', { '@odata.id': odataId, ...group }, 201);
    },
  },
  {
    method: 'GET',
    path: '/groups/{id}',
    throttle: 'identity',
    handler: ({ call, params, env }) =>
      entity(call, 'groups/$entity', renderGroup(requireGroup(env, params[0] ?? ''), parseSelect(call))),
  },
  {
    method: 'PATCH',
    path: '/groups/{id}',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const rec = requireGroup(env, params[0] ?? '');
      const groupId = String(rec.obj.id);
      const body = jsonBody(call);
      const props: Json = {};
      let memberIds: string[] = [];
      for (const [key, value] of Object.entries(body)) {
        if (key === 'members@odata.bind') memberIds = bindIds(value);
        else if (key.endsWith('@odata.bind')) throw badRequest(`'${key}' is not supported by the Graph sandbox.`, 'BadRequest');
        else if (GROUP_READ_ONLY.has(key)) throw badRequest(`Property '${key}' is read-only and cannot be set.`);
        else props[key] = value;
      }
      if (Object.keys(props).length > 0 && rec.obj.onPremisesSyncEnabled === true) throw badRequest(ON_PREMISES_MASTERED);
      if (memberIds.length > 0) {
        assertMembershipWritable(rec);
        // group-update.md: "If an error condition exists in the request body, no members are added": validate all first.
        for (const id of memberIds) requireMemberObject(env, id);
        const unique = new Set(memberIds);
        if (unique.size !== memberIds.length || memberIds.some((id) => rec.members.has(id))) throw badRequest(ALREADY_MEMBER);
        if (unique.has(groupId)) throw badRequest('A group cannot be a member of itself.');
      }
      if (Object.keys(props).length > 0) {
        Object.assign(rec.obj, props);
        env.state.touchGroup(groupId);
      }
      for (const id of memberIds) env.state.addMember(groupId, id);
      return noContent();
    },
  },
  {
    method: 'DELETE',
    path: '/groups/{id}',
    throttle: 'identity',
    handler: ({ params, env }) => {
      const rec = requireGroup(env, params[0] ?? '');
      if (rec.obj.onPremisesSyncEnabled === true) throw badRequest(ON_PREMISES_MASTERED);
      env.state.deleteGroup(String(rec.obj.id));
      return noContent();
    },
  },
  {
    method: 'POST',
    path: '/groups/{id}/members/$ref',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const rec = requireGroup(env, params[0] ?? '');
      const groupId = String(rec.obj.id);
      assertMembershipWritable(rec);
      const body = jsonBody(call);
      const memberId = refId(body['@odata.id'], '@odata.id');
      requireMemberObject(env, memberId);
      if (memberId === groupId) throw badRequest('A group cannot be a member of itself.');
      if (rec.members.has(memberId)) throw badRequest(ALREADY_MEMBER);
      env.state.addMember(groupId, memberId);
      return noContent();
    },
  },
  {
    method: 'DELETE',
    path: '/groups/{id}/members/{id}/$ref',
    throttle: 'identity',
    handler: ({ params, env }) => {
      const rec = requireGroup(env, params[0] ?? '');
      const memberId = params[1] ?? '';
      assertMembershipWritable(rec);
      if (!rec.members.has(memberId)) {
        // An object that exists but is not a member: Graph answers 400, not 404 (see FIDELITY.md).
        if (env.state.kindOf(memberId) !== undefined) throw badRequest(NOT_A_MEMBER);
        throw resourceNotFound(memberId);
      }
      env.state.removeMember(String(rec.obj.id), memberId);
      return noContent();
    },
  },
  ...memberRoutes(),
];

function bindIds(value: unknown): string[] {
  if (!Array.isArray(value))
    throw badRequest("Invalid value specified for property 'members@odata.bind': expected an array of URLs.");
  if (value.length > MAX_BIND) {
    throw badRequest(
      `A maximum of ${MAX_BIND} members can be added in a single request with 'members@odata.bind' (got ${value.length}).`,
    );
  }
  return value.map((v) => refId(v, 'members'));
}
