/** The two list routes every directory collection has: `GET /<collection>` and `GET /<collection>/$count`. */
import type { SandboxEnv } from '../env';
import { badRequest } from '../errors';
import { paginate } from '../odata/paging';
import { compileFilter, compileOrderBy, isAdvancedQuery, parseSelect, parseTop, refuseUnsupported } from '../odata/query';
import type { RouteDef } from '../router';
import type { Json } from '../types';
import { pageResult, requireCount } from './common';

/** Directory collections page 100 by default and 999 at most. */
export const DIRECTORY_PAGE = { defaultSize: 100, max: 999 };

export interface DirectoryListOptions<T> {
  /** `/users`, `/groups`: also the `@odata.context` fragment without the slash. */
  readonly path: string;
  /** Resource name in Graph's filter error messages (`User`, `Group`). */
  readonly resource: string;
  /** Base resource units of the list (throttling-limits.md); default 1. */
  readonly cost?: number;
  readonly items: (env: SandboxEnv) => Iterable<T>;
  /** The Graph object that `$filter` and `$orderby` see. */
  readonly json: (item: T) => Json;
  readonly render: (item: T, select: string[] | undefined) => unknown;
}

export function directoryListRoutes<T>(o: DirectoryListOptions<T>): RouteDef[] {
  const rules = { resource: o.resource, directory: true, caseInsensitive: true };
  const cost = o.cost === undefined ? {} : { cost: o.cost };
  return [
    {
      method: 'GET',
      path: o.path,
      throttle: 'identity',
      ...cost,
      handler: ({ call, env }) => {
        refuseUnsupported(call);
        const select = parseSelect(call);
        const top = parseTop(call, DIRECTORY_PAGE);
        const count = requireCount(call);
        const predicate = compileFilter(call, rules);
        const order = compileOrderBy(call);
        const page = paginate(call, env.cursors, top, () => {
          const all: T[] = [];
          for (const item of o.items(env)) if (!predicate || predicate(o.json(item))) all.push(item);
          if (order) all.sort((a, b) => order(o.json(a), o.json(b)));
          return all;
        });
        return pageResult(call, o.path.slice(1), page, (item) => o.render(item, select), count);
      },
    },
    {
      method: 'GET',
      path: `${o.path}/$count`,
      throttle: 'identity',
      ...cost,
      handler: ({ call, env }) => {
        if (!isAdvancedQuery(call))
          throw badRequest("Count is not supported without the 'ConsistencyLevel: eventual' request header.");
        const predicate = compileFilter(call, rules);
        let n = 0;
        for (const item of o.items(env)) if (!predicate || predicate(o.json(item))) n++;
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: String(n) };
      },
    },
  ];
}
