import type { DirectoryName, DirectoryNames } from '../sync/planMembers';
import type { Graph } from './types';

/**
 * Display names and UPNs for object ids: `POST /directoryObjects/getByIds` with `$select`, up to 1,000 ids per
 * call (https://learn.microsoft.com/graph/api/directoryobject-getbyids). Ids of deleted objects are simply absent
 * from the answer. Needs Directory.Read.All, which group sync already holds for the same call.
 */
const GETBYIDS_MAX = 1000;

interface ObjectJson {
  readonly id?: string;
  readonly '@odata.type'?: string;
  readonly displayName?: string | null;
  readonly userPrincipalName?: string | null;
}

export function createDirectoryNames(graph: Graph): DirectoryNames {
  return {
    async lookup(ids) {
      const out = new Map<string, DirectoryName>();
      for (let i = 0; i < ids.length; i += GETBYIDS_MAX) {
        const res = await graph.request<{ value?: ObjectJson[] }>({
          method: 'POST',
          path: '/directoryObjects/getByIds',
          query: { $select: 'id,displayName,userPrincipalName' },
          body: { ids: ids.slice(i, i + GETBYIDS_MAX) },
        });
        for (const o of res.value ?? []) {
          if (!o.id) continue;
          out.set(o.id, {
            id: o.id,
            type: (o['@odata.type'] ?? '#microsoft.graph.directoryObject').replace(/^#microsoft\.graph\./, ''),
            displayName: o.displayName ?? null,
            userPrincipalName: o.userPrincipalName ?? null,
          });
        }
      }
      return out;
    },
  };
}
