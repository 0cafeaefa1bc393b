/**
 * A run's members with names: the plan's adds and removes, or the members that failed, one page at a time, each id
 * resolved to its display name and UPN so a person can review a dry run. Names are read when asked (a page of up to
 * 1,000 ids is one Graph call), not stored in the run record, so a 50k-member plan costs nothing until someone looks.
 */

import { z } from 'zod';

import type { RunError, SyncRun } from './jobModel';

export type MemberList = 'add' | 'remove' | 'errors';

export interface DirectoryName {
  readonly id: string;
  readonly type: string;
  readonly displayName: string | null;
  readonly userPrincipalName: string | null;
}

export interface DirectoryNames {
  /** Names of the objects that still exist; deleted ones are absent from the map. */
  lookup(ids: readonly string[]): Promise<Map<string, DirectoryName>>;
}

export interface NamedMember extends DirectoryName {
  /** False when the object no longer exists in the directory (deleted since the run). */
  readonly found: boolean;
  readonly error?: Pick<RunError, 'code' | 'message'>;
}

export interface MemberPage {
  readonly runId: string;
  readonly list: MemberList;
  readonly total: number;
  readonly skip: number;
  readonly top: number;
  readonly value: readonly NamedMember[];
}

export async function runMembers(
  run: SyncRun,
  page: { list: MemberList; skip: number; top: number },
  names: DirectoryNames,
): Promise<MemberPage> {
  const entries: { id: string; error?: RunError }[] =
    page.list === 'errors' ? run.errors.map((e) => ({ id: e.id, error: e })) : run.plan[page.list].map((id) => ({ id }));
  const slice = entries.slice(page.skip, page.skip + page.top);
  const found = slice.length > 0 ? await names.lookup([...new Set(slice.map((e) => e.id))]) : new Map<string, DirectoryName>();
  const value = slice.map(({ id, error }): NamedMember => {
    const name = found.get(id);
    return {
      id,
      type: name?.type ?? 'unknown',
      displayName: name?.displayName ?? null,
      userPrincipalName: name?.userPrincipalName ?? null,
      found: name !== undefined,
      ...(error && { error: { code: error.code, message: error.message } }),
    };
  });
  return { runId: run.runId, list: page.list, total: entries.length, skip: page.skip, top: page.top, value };
}

/** `GET /api/sync/runs/{runId}/members?list=add|remove|errors&skip=&top=` */
export const membersQuery = z.object({
  list: z.enum(['add', 'remove', 'errors']).default('add'),
  skip: z.coerce.number().int().min(0).max(10_000_000).default(0),
  top: z.coerce.number().int().min(1).max(1000).default(100),
});
