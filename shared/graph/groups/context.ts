/**
 * What the three parts of group sync's Graph adapter share: the gateway, Graph's group and member shapes and how they
 * map to the sync ports' types, and the few request helpers they all use.
 */

import type { DirectoryObject, Group } from '@microsoft/microsoft-graph-types';

import type { MemberType } from '../../sync/jobModel';
import { memberFacts } from '../../sync/memberFacts';
import type { GroupInfo, MemberFacts, MemberProperty } from '../../sync/ports';
import type { BatchItem, BatchItemResult, Graph } from '../types';
import { directoryObjectUrl } from '../urls';

export interface GroupsContext {
  readonly graph: Graph;
  /** The `@odata.id` of a directory object under the configured Graph root (public, national cloud or sandbox). */
  readonly bindUrl: (id: string) => string;
  /** Waits before re-trying adds that failed because a fresh object was not visible yet. */
  readonly consistencyDelaysMs: readonly number[];
  readonly sleep: (ms: number) => Promise<void>;
}

export function groupsContext(
  graph: Graph,
  options: {
    readonly baseUrl: string;
    readonly consistencyDelaysMs?: readonly number[];
    readonly sleep?: (ms: number) => Promise<void>;
  },
): GroupsContext {
  return {
    graph,
    bindUrl: (id) => directoryObjectUrl(options.baseUrl, id),
    consistencyDelaysMs: options.consistencyDelaysMs ?? [2000, 5000, 10_000],
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
  };
}

export const GROUP_SELECT =
  'id,displayName,groupTypes,mailEnabled,securityEnabled,onPremisesSyncEnabled,isAssignableToRole,membershipRule';

export type MemberJson = DirectoryObject & {
  readonly '@odata.type'?: string;
  readonly userType?: string | null;
  readonly accountEnabled?: boolean | null;
  readonly '@removed'?: unknown;
};
export type PageJson<T> = { readonly value?: T[]; readonly '@odata.nextLink'?: string; readonly '@odata.deltaLink'?: string };

const TYPES: Record<string, MemberType> = {
  '#microsoft.graph.user': 'user',
  '#microsoft.graph.group': 'group',
  '#microsoft.graph.device': 'device',
  '#microsoft.graph.serviceprincipal': 'servicePrincipal',
};

export function toFacts(m: MemberJson, properties: readonly MemberProperty[]): MemberFacts {
  const type = TYPES[(m['@odata.type'] ?? '').toLowerCase()] ?? 'other';
  return memberFacts(String(m.id), type, properties, m.userType, m.accountEnabled);
}

export function toGroupInfo(g: Group): GroupInfo {
  return {
    id: String(g.id),
    displayName: g.displayName ?? '',
    groupTypes: g.groupTypes ?? [],
    mailEnabled: g.mailEnabled === true,
    securityEnabled: g.securityEnabled === true,
    onPremisesSyncEnabled: g.onPremisesSyncEnabled ?? null,
    isAssignableToRole: g.isAssignableToRole ?? null,
    membershipRule: g.membershipRule ?? null,
  };
}

export const odataString = (s: string) => `'${s.replace(/'/g, "''")}'`;
export const ok = (status: number) => status >= 200 && status < 300;
export const selectFor = (props: readonly MemberProperty[]) => ['id', ...props].join(',');

/** `$batch` of the items; no call at all for none. */
export async function batchItems(graph: Graph, items: readonly BatchItem[]): Promise<BatchItemResult[]> {
  return items.length === 0 ? [] : graph.batch(items);
}
