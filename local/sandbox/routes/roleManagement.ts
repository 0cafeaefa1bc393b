/**
 * Directory roles: `roleManagement/directory/roleAssignments` (unifiedRoleAssignment, active assignments) and the
 * older `directoryRoles` (activated roles and their direct members), both derived from the tenant file's
 * `directoryRoleAssignments`. Docs: rbacapplication-list-roleassignments.md, unifiedroleassignment.md,
 * directoryrole-list.md, directoryrole-list-members.md.
 */
import { createHash } from 'node:crypto';

import type { SandboxEnv } from '../env';
import { badRequest, resourceNotFound, unsupportedQuery } from '../errors';
import { walk } from '../odata/filter';
import { paginate } from '../odata/paging';
import { compileFilter, param, parseFilterClause, parseSelect, parseTop, project, refuseUnsupported } from '../odata/query';
import type { RouteDef } from '../router';
import type { GraphCall, Json } from '../types';
import { collection, entity, GUID, pageResult, renderDirectoryObject, requireCount } from './common';
import { DIRECTORY_PAGE } from './directoryList';

interface Assignment {
  readonly id: string;
  readonly principalId: string;
  readonly roleDefinitionId: string;
  readonly roleName: string;
}

/** GUID → its 16 bytes in .NET order (the first three groups little-endian), as Graph's assignment ids encode them. */
function guidBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8),
  ]);
}

/**
 * Graph's directory-scope assignment ids are base64url(role definition GUID bytes + principal GUID bytes) + `-1`
 * (the documented `lAPpYvVpN0KRkAEhdxReE…-1` starts with Global Administrator's 62e90394-…).
 */
export function roleAssignmentId(roleDefinitionId: string, principalId: string): string {
  return `${Buffer.concat([guidBytes(roleDefinitionId), guidBytes(principalId)]).toString('base64url')}-1`;
}

function assignments(env: SandboxEnv): Assignment[] {
  return env.state.roleAssignments.map((r) => {
    const principalId = String(r.principalId);
    const roleDefinitionId = String(r.roleDefinitionId);
    return {
      id: roleAssignmentId(roleDefinitionId, principalId),
      principalId,
      roleDefinitionId,
      roleName: typeof r.roleName === 'string' ? r.roleName : 'Directory role',
    };
  });
}

const assignmentJson = (a: Assignment): Json => ({
  id: a.id,
  principalId: a.principalId,
  directoryScopeId: '/',
  resourceScope: '/',
  roleDefinitionId: a.roleDefinitionId,
});

const roleDefinitionJson = (a: Assignment): Json => ({
  id: a.roleDefinitionId,
  description: `Built-in role ${a.roleName}.`,
  displayName: a.roleName,
  isBuiltIn: true,
  isEnabled: true,
  templateId: a.roleDefinitionId,
  version: '1',
});

// unifiedroleassignment.md: $filter supports eq on these properties only.
const ASSIGNMENT_FILTER = new Set(['principalid', 'roledefinitionid', 'directoryscopeid', 'appscopeid', 'id']);
const EXPANDABLE = new Set(['principal', 'roledefinition']);

/** unifiedroleassignment.md lists only `eq` for $filter: functions such as startswith are refused. */
function assignmentFilter(call: GraphCall) {
  const raw = param(call, '$filter');
  if (raw !== undefined)
    for (const n of walk(parseFilterClause(raw)))
      if (n.k === 'fn')
        throw unsupportedQuery(
          `Unsupported Query. The function '${n.name}' is not supported on resource 'unifiedRoleAssignment'.`,
        );
  return compileFilter(call, {
    resource: 'unifiedRoleAssignment',
    directory: true,
    caseInsensitive: true,
    allowed: ASSIGNMENT_FILTER,
  });
}

function parseExpand(call: GraphCall): Set<string> {
  const raw = param(call, '$expand');
  const out = new Set<string>();
  if (raw === undefined) return out;
  for (const part of raw.split(',').map((s) => s.trim())) {
    if (!EXPANDABLE.has(part.toLowerCase())) {
      throw badRequest(
        `Could not find a property named '${part}' on type 'microsoft.graph.unifiedRoleAssignment'.`,
        'BadRequest',
      );
    }
    out.add(part.toLowerCase());
  }
  return out;
}

function renderAssignment(env: SandboxEnv, a: Assignment, select: string[] | undefined, expand: Set<string>): Json {
  const out = project(assignmentJson(a), select);
  if (expand.has('principal')) out.principal = env.state.directoryObject(a.principalId) ?? null;
  if (expand.has('roledefinition')) out.roleDefinition = roleDefinitionJson(a);
  return out;
}

/** A stable directoryRole object id per role template, different from the template id as in Graph. */
function directoryRoleId(templateId: string): string {
  const h = createHash('sha256').update(`directoryRole:${templateId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface ActivatedRole {
  readonly id: string;
  readonly roleTemplateId: string;
  readonly displayName: string;
}

/** Roles with at least one assignment count as activated (assigning in the portal activates the role). */
function activatedRoles(env: SandboxEnv): ActivatedRole[] {
  const byTemplate = new Map<string, ActivatedRole>();
  for (const a of assignments(env)) {
    if (!byTemplate.has(a.roleDefinitionId))
      byTemplate.set(a.roleDefinitionId, {
        id: directoryRoleId(a.roleDefinitionId),
        roleTemplateId: a.roleDefinitionId,
        displayName: a.roleName,
      });
  }
  return [...byTemplate.values()];
}

const directoryRoleJson = (r: ActivatedRole): Json => ({
  id: r.id,
  deletedDateTime: null,
  description: `Built-in role ${r.displayName}.`,
  displayName: r.displayName,
  roleTemplateId: r.roleTemplateId,
});

function requireRole(env: SandboxEnv, key: string): ActivatedRole {
  // directoryrole-list-members.md: `/directoryRoles/{id}` or `/directoryRoles/roleTemplateId={templateId}`.
  const template = /^roleTemplateId=([0-9a-f-]{36})$/i.exec(key)?.[1];
  if (!template && !GUID.test(key)) throw badRequest(`Invalid object identifier '${key}'.`);
  const role = activatedRoles(env).find((r) =>
    template ? r.roleTemplateId === template.toLowerCase() : r.id === key.toLowerCase(),
  );
  if (!role) throw resourceNotFound(key);
  return role;
}

function refuseQuery(call: GraphCall, resource: string): void {
  // directoryrole-list.md: "does not support the OData query parameters ... $filter is not supported here".
  for (const p of ['$filter', '$top', '$orderby', '$expand', '$count', '$search', '$skip'])
    if (param(call, p) !== undefined) throw unsupportedQuery(`The query parameter '${p}' is not supported on ${resource}.`);
}

export const roleManagementRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/roleManagement/directory/roleAssignments',
    throttle: 'identity',
    handler: ({ call, env }) => {
      refuseUnsupported(call);
      const select = parseSelect(call);
      const expand = parseExpand(call);
      const predicate = assignmentFilter(call);
      const top = parseTop(call, DIRECTORY_PAGE);
      const page = paginate(call, env.cursors, top, () =>
        assignments(env).filter((a) => !predicate || predicate(assignmentJson(a))),
      );
      const fragment = `roleManagement/directory/roleAssignments${expand.has('principal') ? '(principal())' : ''}`;
      return pageResult(call, fragment, page, (a) => renderAssignment(env, a, select, expand), false);
    },
  },
  {
    method: 'GET',
    path: '/roleManagement/directory/roleAssignments/{id}',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const a = assignments(env).find((x) => x.id === params[0]);
      if (!a) throw resourceNotFound(params[0] ?? '');
      return entity(
        call,
        'roleManagement/directory/roleAssignments/$entity',
        renderAssignment(env, a, parseSelect(call), parseExpand(call)),
      );
    },
  },
  {
    method: 'GET',
    path: '/directoryRoles',
    throttle: 'identity',
    handler: ({ call, env }) => {
      refuseQuery(call, 'directoryRoles');
      const select = parseSelect(call);
      return collection(
        call,
        'directoryRoles',
        activatedRoles(env).map((r) => project(directoryRoleJson(r), select)),
      );
    },
  },
  {
    method: 'GET',
    path: '/directoryRoles/{id}',
    throttle: 'identity',
    handler: ({ call, params, env }) =>
      entity(call, 'directoryRoles/$entity', project(directoryRoleJson(requireRole(env, params[0] ?? '')), parseSelect(call))),
  },
  {
    method: 'GET',
    path: '/directoryRoles/{id}/members',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      refuseUnsupported(call);
      const role = requireRole(env, params[0] ?? '');
      const select = parseSelect(call);
      const count = requireCount(call);
      const top = parseTop(call, DIRECTORY_PAGE);
      const page = paginate(call, env.cursors, top, () => [
        ...new Set(
          assignments(env)
            .filter((a) => a.roleDefinitionId === role.roleTemplateId)
            .map((a) => a.principalId),
        ),
      ]);
      return pageResult(call, 'directoryObjects', page, (id) => renderDirectoryObject(env, id, select), count);
    },
  },
];
