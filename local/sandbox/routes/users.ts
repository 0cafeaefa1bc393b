/** users: create, get (id or UPN), list, update, delete, revokeSignInSessions, sponsors, memberOf, transitiveMemberOf. */
import { randomUUID } from 'node:crypto';

import type { SandboxEnv } from '../env';
import { badRequest } from '../errors';
import { paginate } from '../odata/paging';
import { compileFilter, parseSelect, parseTop, project, refuseUnsupported } from '../odata/query';
import type { RouteDef } from '../router';
import { isJsonObject, type Json } from '../types';
import {
  collection,
  entity,
  isoNow,
  jsonBody,
  noContent,
  ok,
  ON_PREMISES_MASTERED,
  pageResult,
  renderDirectoryObject,
  requireCount,
  requireUser,
  USER_DEFAULT_PROPS,
} from './common';
import { DIRECTORY_PAGE, directoryListRoutes } from './directoryList';

/** Cloud-side properties that stay writable on synced users. */
const WRITABLE_ON_SYNCED = new Set(['usageLocation', 'passwordPolicies']);
const READ_ONLY = new Set([
  'id',
  'createdDateTime',
  'creationType',
  'onPremisesSyncEnabled',
  'externalUserState',
  'assignedPlans',
]);

/** Entra's rule: 8-256 characters with three of lower case, upper case, digits and symbols. */
function complexEnough(password: string): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  return password.length >= 8 && password.length <= 256 && classes >= 3;
}

/**
 * passwordProfile is write-only: the sandbox keeps no password. An admin-set password remediates the user's risk
 * (riskyuser.md riskDetail `adminGeneratedTemporaryPassword`), which is why a reset is the usual fix for risky users.
 */
function applyPasswordProfile(env: SandboxEnv, userId: string, profile: unknown): void {
  if (!isJsonObject(profile)) throw badRequest("Invalid value specified for property 'passwordProfile' of resource 'User'.");
  const { password, forceChangePasswordNextSignIn } = profile;
  if (forceChangePasswordNextSignIn !== undefined && typeof forceChangePasswordNextSignIn !== 'boolean')
    throw badRequest("Invalid value specified for property 'forceChangePasswordNextSignIn' of resource 'PasswordProfile'.");
  if (password === undefined) return;
  if (typeof password !== 'string' || !complexEnough(password))
    throw badRequest(
      'The specified password does not comply with password complexity requirements. Please provide a different password.',
    );
  const risky = env.state.riskyUsers.get(userId);
  if (risky && (risky.riskState === 'atRisk' || risky.riskState === 'confirmedCompromised')) {
    Object.assign(risky, {
      riskState: 'remediated',
      riskDetail: 'adminGeneratedTemporaryPassword',
      riskLevel: 'none',
      riskLastUpdatedDateTime: isoNow(),
    });
  }
}

export const userRoutes: RouteDef[] = [
  ...directoryListRoutes({
    path: '/users',
    resource: 'User',
    cost: 2,
    items: (env) => env.state.users.values(),
    json: (u) => u,
    render: (u, select) => project(u, select, USER_DEFAULT_PROPS),
  }),
  {
    method: 'POST',
    path: '/users',
    throttle: 'identity',
    handler: ({ call, env }) => {
      const body = jsonBody(call);
      for (const prop of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile']) {
        if (body[prop] === undefined || body[prop] === null) {
          throw badRequest(`Invalid value specified for property '${prop}' of resource 'User'.`);
        }
      }
      const upn = body.userPrincipalName;
      if (typeof upn !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(upn)) {
        throw badRequest("Invalid value specified for property 'userPrincipalName' of resource 'User'.");
      }
      if (env.state.userIdByUpn(upn) !== undefined) {
        throw badRequest('Another object with the same value for property userPrincipalName already exists.');
      }
      // The password is write-only in Graph; the sandbox does not keep it at all.
      const { passwordProfile: _password, ...rest } = body;
      const user: Json & { id: string; userPrincipalName: string } = {
        userType: 'Member',
        onPremisesSyncEnabled: null,
        ...rest,
        id: randomUUID(),
        userPrincipalName: upn,
        createdDateTime: isoNow(),
      };
      env.state.createUser(user);
      env.state.markCreated(user.id, env.visibleAtForNewObject());
      return entity(call, 'users/$entity', project(user, undefined, USER_DEFAULT_PROPS), 201);
    },
  },
  {
    method: 'GET',
    path: '/users/{id}',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const user = requireUser(env, params[0] ?? '');
      return entity(call, 'users/$entity', project(user, parseSelect(call), USER_DEFAULT_PROPS));
    },
  },
  {
    method: 'PATCH',
    path: '/users/{id}',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const user = requireUser(env, params[0] ?? '');
      const body = jsonBody(call);
      for (const key of Object.keys(body)) {
        if (READ_ONLY.has(key)) throw badRequest(`Property '${key}' is read-only and cannot be set.`);
        if (user.onPremisesSyncEnabled === true && !WRITABLE_ON_SYNCED.has(key) && key !== 'passwordProfile') {
          throw badRequest(ON_PREMISES_MASTERED);
        }
      }
      if ('accountEnabled' in body && typeof body.accountEnabled !== 'boolean') {
        throw badRequest("Invalid value specified for property 'accountEnabled' of resource 'User'.");
      }
      const newUpn = body.userPrincipalName;
      if (newUpn !== undefined) {
        if (typeof newUpn !== 'string' || !newUpn.includes('@'))
          throw badRequest("Invalid value specified for property 'userPrincipalName' of resource 'User'.");
        const owner = env.state.userIdByUpn(newUpn);
        if (owner !== undefined && owner !== user.id)
          throw badRequest('Another object with the same value for property userPrincipalName already exists.');
        env.state.renameUser(user.id, newUpn);
      }
      const { passwordProfile, ...rest } = body;
      if (passwordProfile !== undefined) applyPasswordProfile(env, user.id, passwordProfile);
      Object.assign(user, rest);
      return noContent();
    },
  },
  {
    method: 'DELETE',
    path: '/users/{id}',
    throttle: 'identity',
    handler: ({ params, env }) => {
      const user = requireUser(env, params[0] ?? '');
      if (user.onPremisesSyncEnabled === true) throw badRequest(ON_PREMISES_MASTERED);
      env.state.deleteUser(user.id);
      return noContent();
    },
  },
  {
    method: 'POST',
    path: '/users/{id}/revokeSignInSessions',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const user = requireUser(env, params[0] ?? '');
      user.signInSessionsValidFromDateTime = isoNow();
      return ok({ '@odata.context': `${call.origin}/v1.0/$metadata#Edm.Boolean`, value: true });
    },
  },
  {
    method: 'GET',
    path: '/users/{id}/sponsors',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const user = requireUser(env, params[0] ?? '');
      const select = parseSelect(call);
      const value: Json[] = [];
      for (const id of env.state.sponsors.get(user.id) ?? []) {
        const obj = renderDirectoryObject(env, id, select);
        if (obj) value.push(obj);
      }
      return collection(call, 'directoryObjects', value);
    },
  },
  memberOfRoute('/users/{id}/memberOf', false),
  memberOfRoute('/users/{id}/transitiveMemberOf', true),
];

function memberOfRoute(path: string, transitive: boolean): RouteDef {
  return {
    method: 'GET',
    path,
    throttle: 'identity',
    cost: 2,
    handler: ({ call, params, env }) => {
      refuseUnsupported(call);
      const user = requireUser(env, params[0] ?? '');
      const select = parseSelect(call);
      const top = parseTop(call, DIRECTORY_PAGE);
      const count = requireCount(call);
      const predicate = compileFilter(call, { resource: 'Group', directory: true, caseInsensitive: true });
      const page = paginate(call, env.cursors, top, () => {
        const ids = transitive ? [...env.state.transitiveMemberOf(user.id)] : [...env.state.directMemberOf(user.id)];
        if (!predicate) return ids;
        return ids.filter((id) => {
          const obj = env.state.rawObject(id);
          return obj !== undefined && predicate(obj);
        });
      });
      return pageResult(call, 'directoryObjects', page, (id) => renderDirectoryObject(env, id, select), count);
    },
  };
}
