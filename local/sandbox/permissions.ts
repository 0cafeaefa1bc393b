/**
 * Application permissions a route accepts (the API page's permission table, least privileged first). The app is
 * refused (403) only when the `deniedPermissions` knob lists every one of them, as Graph accepts any of the listed
 * permissions.
 */
import type { SandboxEnv } from './env';
import { permissionDenied } from './errors';

export function requireAnyPermission(env: SandboxEnv, accepted: readonly [string, ...string[]]): void {
  const denied = env.knobs.deniedPermissions;
  if (accepted.every((p) => denied.includes(p))) throw permissionDenied(accepted[0]);
}

/** group-post-groups.md, Permissions (application). */
export const GROUP_CREATE_PERMISSIONS = ['Group.Create', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'] as const;
/** conditionalaccesspolicy-update.md / conditionalaccessroot-post-policies.md, Permissions (application). */
export const CA_WRITE_PERMISSIONS = ['Policy.ReadWrite.ConditionalAccess'] as const;
