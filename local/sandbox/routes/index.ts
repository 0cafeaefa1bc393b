/** The full route table of the sandbox. */
import type { SandboxEnv } from '../env';
import { runGraph } from '../pipeline';
import { Router } from '../router';
import { authMethodRoutes } from './authMethods';
import { authPolicyRoutes } from './authPolicy';
import { authStrengthRoutes } from './authStrengths';
import { batchRoute } from './batch';
import { conditionalAccessRoutes } from './conditionalAccess';
import { deltaRoutes } from './delta';
import { directoryObjectRoutes } from './directoryObjects';
import { groupRoutes } from './groups';
import { groupSettingRoutes } from './groupSettings';
import { identityProtectionRoutes } from './identityProtection';
import { roleManagementRoutes } from './roleManagement';
import { signInRoutes } from './signIns';
import { userRoutes } from './users';

export function bearerToken(headers: Readonly<Record<string, string>>): string | undefined {
  const m = /^Bearer\s+(\S.*)$/i.exec(headers.authorization ?? '');
  return m?.[1]?.trim() || undefined;
}

export function buildRouter(env: () => SandboxEnv): Router {
  const router = new Router();
  router.add(
    ...userRoutes,
    ...groupRoutes,
    ...groupSettingRoutes,
    ...deltaRoutes,
    ...directoryObjectRoutes,
    ...authMethodRoutes,
    ...authPolicyRoutes,
    ...identityProtectionRoutes,
    ...conditionalAccessRoutes,
    ...authStrengthRoutes,
    ...signInRoutes,
    ...roleManagementRoutes,
    batchRoute((input) => runGraph(env(), router, input), bearerToken),
  );
  return router;
}
