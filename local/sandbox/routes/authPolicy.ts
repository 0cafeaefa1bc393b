/**
 * GET|PATCH /policies/authenticationMethodsPolicy and .../authenticationMethodConfigurations/{id} (ids compared
 * case-insensitively: `TemporaryAccessPass`, `Sms`, ...) per authenticationmethodspolicy-*.md.
 */
import type { SandboxEnv } from '../env';
import { badRequest, resourceNotFound } from '../errors';
import type { RouteDef } from '../router';
import { isJsonObject, type Json } from '../types';
import { entity, isoNow, jsonBody, noContent } from './common';
import { deepMerge } from './conditionalAccess';

export function methodConfigurations(env: SandboxEnv): Json[] {
  const list = env.state.authPolicy.authenticationMethodConfigurations;
  return Array.isArray(list) ? list.filter(isJsonObject) : [];
}

export function methodConfiguration(env: SandboxEnv, id: string): Json | undefined {
  const lower = id.toLowerCase();
  return methodConfigurations(env).find((c) => typeof c.id === 'string' && c.id.toLowerCase() === lower);
}

export const authPolicyRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/policies/authenticationMethodsPolicy',
    throttle: 'identity',
    handler: ({ call, env }) => entity(call, 'policies/authenticationMethodsPolicy/$entity', env.state.authPolicy),
  },
  {
    method: 'PATCH',
    path: '/policies/authenticationMethodsPolicy',
    throttle: 'identity',
    handler: ({ call, env }) => {
      const body = jsonBody(call);
      if ('authenticationMethodConfigurations' in body || 'id' in body) {
        throw badRequest('Update authentication method configurations through their own endpoint.', 'BadRequest');
      }
      deepMerge(env.state.authPolicy, body);
      env.state.authPolicy.lastModifiedDateTime = isoNow();
      return noContent();
    },
  },
  {
    method: 'GET',
    path: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const id = params[0] ?? '';
      const config = methodConfiguration(env, id);
      if (!config) throw resourceNotFound(id);
      return entity(call, 'policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity', config);
    },
  },
  {
    method: 'PATCH',
    path: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const id = params[0] ?? '';
      const config = methodConfiguration(env, id);
      if (!config) throw resourceNotFound(id);
      const body = jsonBody(call);
      if (body.id !== undefined && (typeof body.id !== 'string' || body.id.toLowerCase() !== String(config.id).toLowerCase()))
        throw badRequest('The id of a method configuration cannot be changed.', 'BadRequest');
      if (body['@odata.type'] !== undefined && body['@odata.type'] !== config['@odata.type'])
        throw badRequest('The @odata.type of a method configuration cannot be changed.', 'BadRequest');
      if (body.state !== undefined && body.state !== 'enabled' && body.state !== 'disabled')
        throw badRequest("Invalid value for 'state': use enabled or disabled.", 'BadRequest');
      // Target lists are replaced as a whole (arrays), scalar settings merged.
      const { id: _id, ...rest } = body;
      deepMerge(config, rest);
      return noContent();
    },
  },
];
