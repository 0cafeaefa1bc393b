/**
 * The tenant file: collections of Graph v1.0 resource JSON (local/sandbox/README.md). Objects are loose (any extra Graph
 * property is kept and served); only the fields the sandbox relies on are checked. Groups carry the non-Graph
 * `members` list of direct member ids.
 */
import { z } from 'zod';

const id = z.string().min(1);
const obj = z.looseObject({ id });

const user = z.looseObject({
  id,
  userPrincipalName: z.string().min(1),
  displayName: z.string().nullable().optional(),
  userType: z.enum(['Member', 'Guest']).nullable().optional(),
  accountEnabled: z.boolean().nullable().optional(),
});

const group = z.looseObject({
  id,
  displayName: z.string().nullable().optional(),
  groupTypes: z.array(z.string()).optional(),
  mailEnabled: z.boolean().nullable().optional(),
  securityEnabled: z.boolean().nullable().optional(),
  onPremisesSyncEnabled: z.boolean().nullable().optional(),
  members: z.array(id).optional(),
});

const phoneMethod = z.looseObject({
  id,
  phoneNumber: z.string().min(1),
  phoneType: z.enum(['mobile', 'alternateMobile', 'office']),
  smsSignInState: z.string().optional(),
});

const methodConfiguration = z.looseObject({
  id,
  '@odata.type': z.string().optional(),
  state: z.enum(['enabled', 'disabled']).optional(),
});

export const tenantFileSchema = z.looseObject({
  tenant: z.looseObject({ id, displayName: z.string(), defaultDomain: z.string().min(1), entraIdP2: z.boolean().optional() }),
  users: z.array(user).optional(),
  groups: z.array(group).optional(),
  devices: z.array(obj).optional(),
  servicePrincipals: z.array(obj).optional(),
  sponsors: z.record(z.string(), z.array(id)).optional(),
  phoneMethods: z.record(z.string(), z.array(phoneMethod)).optional(),
  temporaryAccessPassMethods: z.record(z.string(), z.array(obj)).optional(),
  directoryRoleAssignments: z
    .array(z.looseObject({ principalId: id, roleDefinitionId: z.string(), roleName: z.string().optional() }))
    .optional(),
  riskyUsers: z.array(obj).optional(),
  riskDetections: z.array(obj).optional(),
  signIns: z.array(z.looseObject({ id, createdDateTime: z.string() })).optional(),
  conditionalAccessPolicies: z.array(obj).optional(),
  namedLocations: z.array(obj).optional(),
  authenticationStrengthPolicies: z.array(obj).optional(),
  groupSettings: z
    .array(z.looseObject({ id, templateId: z.string(), values: z.array(z.object({ name: z.string(), value: z.string() })) }))
    .optional(),
  authenticationMethodsPolicy: z
    .looseObject({ authenticationMethodConfigurations: z.array(methodConfiguration).optional() })
    .optional(),
});

export type TenantFile = z.infer<typeof tenantFileSchema>;

/** Parses a tenant, throwing one Error that lists every problem with its JSON path. */
export function parseTenantFile(value: unknown, source = 'tenant'): TenantFile {
  const parsed = tenantFileSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 20).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new Error(`Invalid tenant file (${source}): ${problems.join('; ')}`);
}
