import path from 'node:path';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startGraphSandbox } from '../../local/sandbox';
import { DEMO_GROUPS, DEMO_USERS } from '../../local/tenants/demoIds';
import { describePrivilege, GraphPrivilegedUsers, PrivilegedUserReadError } from '../../shared/graph/privilegedUsers';
import { recordingGateway, SandboxControl } from './sandbox';

const DEMO = path.resolve(__dirname, '../../local/tenants/demo.json');
let sandbox: SandboxControl;

beforeAll(async () => {
  sandbox = new SandboxControl(
    await startGraphSandbox({ tenant: DEMO, knobs: { throttling: { enabled: false, tenantSize: 'auto' } } }),
  );
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.clean());

describe('GraphPrivilegedUsers against the sandbox over HTTP', () => {
  it('finds Global Administrators, role-assignable group members and nobody else', async () => {
    const { graph } = recordingGateway(sandbox.url);
    const reader = new GraphPrivilegedUsers(graph);
    const result = await reader.privilegedAmong([
      DEMO_USERS.breakGlass1.id,
      DEMO_USERS.globalAdmin.id,
      DEMO_USERS.authenticationAdmin.id, // also a member of the role-assignable Helpdesk group
      DEMO_USERS.smsNoPhone.id,
      DEMO_USERS.exchangeOnly.id,
    ]);
    expect([...result.keys()].sort()).toEqual(
      [DEMO_USERS.breakGlass1.id, DEMO_USERS.globalAdmin.id, DEMO_USERS.authenticationAdmin.id].sort(),
    );
    expect(result.get(DEMO_USERS.globalAdmin.id)).toEqual([
      { kind: 'directoryRole', roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10', roleName: 'Global Administrator' },
    ]);
    const lukas = result.get(DEMO_USERS.authenticationAdmin.id) ?? [];
    expect(lukas).toContainEqual({
      kind: 'roleAssignableGroup',
      groupId: DEMO_GROUPS.roleAssignable.id,
      groupName: DEMO_GROUPS.roleAssignable.displayName,
    });
    expect(describePrivilege(lukas)).toMatch(/Authentication Administrator.*role-assignable group Role - Helpdesk/);
  });

  it('reads two items per user in parallel $batch calls (10 users per call)', async () => {
    const { graph } = recordingGateway(sandbox.url);
    const ids = Array.from({ length: 25 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const result = await new GraphPrivilegedUsers(graph).privilegedAmong([...ids, ids[0] ?? '']);
    expect(result.size).toBe(0); // unknown users: not privileged, and not changeable either
    expect(graph.counters).toMatchObject({ httpCalls: 3, subRequests: 50 });
  });

  it('throws instead of answering "not privileged" when a read fails', async () => {
    await sandbox.faults([{ route: 'GET /roleManagement/directory/roleAssignments', kind: '503', times: 5, scope: 'batchItem' }]);
    const { graph } = recordingGateway(sandbox.url, { maxRetries: 0 });
    await expect(new GraphPrivilegedUsers(graph).privilegedAmong([DEMO_USERS.globalAdmin.id])).rejects.toBeInstanceOf(
      PrivilegedUserReadError,
    );
  });

  it('refuses anything but object ids (the id goes into a $filter literal)', async () => {
    const { graph } = recordingGateway(sandbox.url);
    await expect(new GraphPrivilegedUsers(graph).privilegedAmong(["x' or principalId ne '"])).rejects.toThrow(/object ids/);
  });
});
