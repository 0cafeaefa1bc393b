/**
 * GET /policies/authenticationStrengthPolicies (authenticationstrengthroot-list-policies.md): "returns both built-in
 * and custom policies", so the three built-in strengths every tenant has are always listed, before the tenant's own.
 * Read-only here: entra-ops backs them up and never writes them.
 */
import { resourceNotFound } from '../errors';
import { parseSelect, project } from '../odata/query';
import type { RouteDef } from '../router';
import { collection, contextUrl, entity } from './common';

export const authStrengthRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/policies/authenticationStrengthPolicies',
    throttle: 'identity',
    handler: ({ call, env }) => {
      const select = parseSelect(call);
      const value = [...env.state.authStrengths.values()].map((p) => {
        const out = project(p, select);
        // The documented list carries a context link per policy's combinationConfigurations.
        if ('combinationConfigurations' in out) {
          return {
            ...out,
            'combinationConfigurations@odata.context': contextUrl(
              call,
              `policies/authenticationStrengthPolicies('${String(p.id)}')/combinationConfigurations`,
            ),
          };
        }
        return out;
      });
      return collection(call, 'policies/authenticationStrengthPolicies', value);
    },
  },
  {
    method: 'GET',
    path: '/policies/authenticationStrengthPolicies/{id}',
    throttle: 'identity',
    handler: ({ call, params, env }) => {
      const id = params[0] ?? '';
      const found = env.state.authStrengths.get(id);
      if (!found) throw resourceNotFound(id);
      return entity(call, 'policies/authenticationStrengthPolicies/$entity', project(found, parseSelect(call)));
    },
  },
];
