/** POST /directoryObjects/getByIds (directoryobject-getbyids.md): up to 1000 ids, optional `types` filter. */
import { badRequest } from '../errors';
import { parseSelect } from '../odata/query';
import { project } from '../odata/query';
import type { RouteDef } from '../router';
import type { DirectoryKind } from '../state';
import type { Json } from '../types';
import { collection, jsonBody, requireStringArray } from './common';

const MAX_IDS = 1000;
const TYPE_NAMES: Record<string, DirectoryKind> = {
  user: 'user',
  group: 'group',
  device: 'device',
  serviceprincipal: 'servicePrincipal',
};

export const directoryObjectRoutes: RouteDef[] = [
  {
    method: 'POST',
    path: '/directoryObjects/getByIds',
    throttle: 'identity',
    cost: 5,
    write: false,
    handler: ({ call, env }) => {
      const body = jsonBody(call);
      const ids = requireStringArray(body.ids, 'ids');
      if (ids.length === 0) throw badRequest("Invalid value specified for property 'ids': at least one id is required.");
      if (ids.length > MAX_IDS)
        throw badRequest(`Too many ids: getByIds accepts up to ${MAX_IDS} ids per request (got ${ids.length}).`);
      let kinds: Set<DirectoryKind> | undefined;
      if (body.types !== undefined) {
        kinds = new Set();
        for (const t of requireStringArray(body.types, 'types')) {
          const kind = TYPE_NAMES[t.toLowerCase().replace(/^#?microsoft\.graph\./, '')];
          if (!kind) throw badRequest(`Invalid value specified for property 'types': unsupported type '${t}'.`);
          kinds.add(kind);
        }
      }
      const select = parseSelect(call);
      const value: Json[] = [];
      for (const id of ids) {
        const kind = env.state.kindOf(id);
        if (!kind || (kinds && !kinds.has(kind)) || !env.state.isVisible(id)) continue;
        // directoryobject-getbyids.md returns whole objects (e.g. accountEnabled), not the user default property set.
        const obj = env.state.directoryObject(id);
        if (obj) value.push(project(obj, select));
      }
      return collection(call, 'directoryObjects', value);
    },
  },
];
