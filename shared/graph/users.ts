/**
 * Users and group membership for the phone import, all in `$batch` calls (20 per call, the gateway splits and
 * retries throttled items). Users are looked up by UPN or object id as given in the file; guest UPNs contain `#EXT#`
 * and are percent-encoded by `graphPath`.
 * Docs: user-get.md ($select), user-list-transitivememberof.md, group-post-members.md.
 */

import type { AssignedLicense, AssignedPlan, User } from '@microsoft/microsoft-graph-types';

import { hasSmsSignInLicence } from '../phones/licences';
import type { UserLookup } from '../phones/plan';
import { isTransient, type PhoneDirectory, type WriteResult } from '../phones/ports';
import type { BatchItemResult, Graph } from './types';
import { graphPath } from './types';
import { directoryObjectUrl, userPath } from './urls';

export const USER_SELECT = 'id,userPrincipalName,userType,accountEnabled,assignedPlans,assignedLicenses';

type UserBody = Pick<User, 'id' | 'userPrincipalName' | 'userType' | 'accountEnabled'> & {
  assignedPlans?: AssignedPlan[] | null;
  assignedLicenses?: AssignedLicense[] | null;
};

// Graph's answer when the member is already there (group-post-members.md: 400 "already exist").
const ALREADY_MEMBER = /already exist/i;

export function writeResult(r: BatchItemResult | undefined): WriteResult {
  if (!r) return { ok: false, status: 0, code: 'noResult', message: 'Graph returned no result for this item' };
  if (r.status >= 200 && r.status < 300) return { ok: true };
  return {
    ok: false,
    status: r.status,
    code: r.error?.code ?? String(r.status),
    message: r.error?.message ?? `HTTP ${r.status}`,
  };
}

export class GraphPhoneDirectory implements PhoneDirectory {
  constructor(
    private readonly graph: Graph,
    /** The gateway's Graph root, so member references point at the same (national or local) cloud. */
    private readonly baseUrl = 'https://graph.microsoft.com',
  ) {}

  async resolveUsers(refs: readonly string[]): Promise<Map<string, UserLookup>> {
    const results = await this.graph.batch<UserBody>(
      refs.map((ref) => ({ method: 'GET' as const, path: `${userPath(ref)}?$select=${USER_SELECT}` })),
    );
    const out = new Map<string, UserLookup>();
    refs.forEach((ref, i) => {
      const r = results[i];
      if (r && r.status === 200 && r.body?.id) {
        const b = r.body;
        out.set(ref, {
          kind: 'found',
          user: {
            id: b.id ?? '',
            userPrincipalName: b.userPrincipalName ?? ref,
            userType: b.userType === 'Guest' ? 'Guest' : 'Member',
            accountEnabled: b.accountEnabled !== false,
            licensedForSmsSignIn: hasSmsSignInLicence({
              assignedPlans: b.assignedPlans ?? [],
              assignedLicenses: b.assignedLicenses ?? [],
            }),
          },
        });
      } else if (
        r &&
        (r.status === 404 || (r.status === 400 && r.error?.code === 'Request_BadRequest' && /invalid/i.test(r.error.message)))
      ) {
        out.set(ref, { kind: 'notFound' });
      } else {
        const w = writeResult(r);
        out.set(ref, {
          kind: 'error',
          message: w.ok ? 'unexpected answer' : `${w.code}: ${w.message}`,
          transient: !w.ok && isTransient(w.status),
        });
      }
    });
    return out;
  }

  async memberOf(userIds: readonly string[], groupIds: readonly string[]): Promise<Map<string, ReadonlySet<string>>> {
    const wanted = new Set(groupIds);
    const results = await this.graph.batch<{ value?: { id?: string }[]; '@odata.nextLink'?: string }>(
      userIds.map((id) => ({
        method: 'GET' as const,
        path: `${graphPath`/users/${id}/transitiveMemberOf`}?$select=id&$top=999`,
      })),
    );
    const out = new Map<string, ReadonlySet<string>>();
    for (const [i, id] of userIds.entries()) {
      const r = results[i];
      if (!r || r.status !== 200)
        throw new Error(`reading group memberships failed (${r?.status ?? 'no result'}: ${r?.error?.code ?? ''})`);
      const ids = new Set((r.body?.value ?? []).map((g) => g.id ?? '').filter((g) => wanted.has(g)));
      // More than 999 groups is rare; follow the link rather than guess.
      const next = r.body?.['@odata.nextLink'];
      if (next)
        for (const g of await this.graph.all<{ id?: string }>({ method: 'GET', path: next }))
          if (g.id && wanted.has(g.id)) ids.add(g.id);
      out.set(id, ids);
    }
    return out;
  }

  async addMembers(groupId: string, userIds: readonly string[]): Promise<Map<string, WriteResult>> {
    const results = await this.graph.batch(
      userIds.map((id) => ({
        method: 'POST' as const,
        path: graphPath`/groups/${groupId}/members/$ref`,
        body: { '@odata.id': directoryObjectUrl(this.baseUrl, id) },
        // A repeat after a lost response answers "already a member", counted as success below.
        idempotent: true,
      })),
    );
    const out = new Map<string, WriteResult>();
    userIds.forEach((id, i) => {
      const r = results[i];
      out.set(id, r && r.status === 400 && ALREADY_MEMBER.test(r.error?.message ?? '') ? { ok: true } : writeResult(r));
    });
    return out;
  }
}
