/**
 * Directory roles: the names of the roles the demo uses, and who holds them.
 */

import { DEMO_GROUPS, ROLE_TEMPLATE_IDS } from '../demoIds';
import type { Person } from './reference';

export const ROLE_NAMES: Record<keyof typeof ROLE_TEMPLATE_IDS, string> = {
  globalAdministrator: 'Global Administrator',
  userAdministrator: 'User Administrator',
  conditionalAccessAdministrator: 'Conditional Access Administrator',
  securityAdministrator: 'Security Administrator',
  authenticationAdministrator: 'Authentication Administrator',
  helpdeskAdministrator: 'Helpdesk Administrator',
};

/** Every role holder's assignment, and the Helpdesk Administrator role held by the role-assignable group. */
export function buildRoleAssignments(
  people: readonly Person[],
): { principalId: string; roleDefinitionId: string; roleName: string }[] {
  return [
    ...people
      .filter((p) => p.admin)
      .map((p) => ({
        principalId: p.id,
        roleDefinitionId: ROLE_TEMPLATE_IDS[p.admin ?? 'globalAdministrator'],
        roleName: ROLE_NAMES[p.admin ?? 'globalAdministrator'],
      })),
    {
      principalId: DEMO_GROUPS.roleAssignable.id,
      roleDefinitionId: ROLE_TEMPLATE_IDS.helpdeskAdministrator,
      roleName: ROLE_NAMES.helpdeskAdministrator,
    },
  ];
}
