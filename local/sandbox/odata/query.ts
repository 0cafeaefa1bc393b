/** Shared handling of OData system query options ($select, $top, $count, $filter, $orderby) per Graph's rules. */
import { badRequest, GraphError, unsupportedQuery } from '../errors';
import type { GraphCall, Json } from '../types';
import { evaluateFilter, type FilterNode, FilterSyntaxError, parseFilter, walk } from './filter';

export function param(call: GraphCall, name: string): string | undefined {
  const v = call.query.get(name);
  return v === null ? undefined : v;
}

/** `ConsistencyLevel: eventual` plus `$count=true`: Graph's "advanced query" switch for directory objects. */
export function isAdvancedQuery(call: GraphCall): boolean {
  return call.headers.consistencylevel?.toLowerCase() === 'eventual';
}

export function parseSelect(call: GraphCall): string[] | undefined {
  const raw = param(call, '$select');
  if (raw === undefined) return undefined;
  const props = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (props.length === 0) throw badRequest('Invalid $select: expected a comma-separated list of properties.', 'BadRequest');
  return props;
}

/** Keeps `@odata.type` and `id` always, then the selected properties (unset ones as null, as Graph does). */
export function project(obj: Json, select: readonly string[] | undefined, defaults?: readonly string[]): Json {
  const props = select ?? defaults;
  if (!props) return obj;
  const out: Json = {};
  if (obj['@odata.type'] !== undefined) out['@odata.type'] = obj['@odata.type'];
  if (obj.id !== undefined) out.id = obj.id;
  for (const p of props) {
    if (p === 'id' || p === '@odata.type') continue;
    if (p in obj) out[p] = obj[p];
    else {
      const key = Object.keys(obj).find((k) => k.toLowerCase() === p.toLowerCase());
      out[key ?? p] = key === undefined ? null : obj[key];
    }
  }
  return out;
}

export interface TopRule {
  readonly defaultSize: number;
  readonly max: number;
}

export function parseTop(call: GraphCall, rule: TopRule): number {
  const raw = param(call, '$top');
  if (raw === undefined) return rule.defaultSize;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > rule.max) {
    throw unsupportedQuery(`Invalid page size specified: '${raw}'. Must be between 1 and ${rule.max} inclusive.`);
  }
  return n;
}

export function wantsCount(call: GraphCall): boolean {
  const raw = param(call, '$count');
  if (raw === undefined) return false;
  if (raw !== 'true' && raw !== 'false') throw badRequest(`Invalid value '${raw}' for $count; use true or false.`, 'BadRequest');
  return raw === 'true';
}

export interface FilterRules {
  /** Resource name used in Graph's error message ("... of resource 'User'"). */
  readonly resource: string;
  /** Directory objects: `ne`, `not`, `endswith` and `$count` need ConsistencyLevel: eventual (advanced queries). */
  readonly directory: boolean;
  readonly caseInsensitive: boolean;
  /** When set, only these top-level properties may be filtered on. */
  readonly allowed?: ReadonlySet<string>;
}

export type Predicate = (obj: Json) => boolean;

/** Parses a `$filter` value; a syntax error is Graph's 400 "Invalid filter clause". */
export function parseFilterClause(raw: string): FilterNode {
  try {
    return parseFilter(raw);
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw new GraphError(400, 'BadRequest', `Invalid filter clause: ${err.message}.`);
    throw err;
  }
}

export function compileFilter(call: GraphCall, rules: FilterRules): Predicate | undefined {
  const raw = param(call, '$filter');
  if (raw === undefined) return undefined;
  const node = parseFilterClause(raw);
  const advanced = isAdvancedQuery(call) && wantsCount(call);
  const lambdaVars = new Set<string>();
  for (const n of walk(node)) if (n.k === 'lambda') lambdaVars.add(n.v);
  for (const n of walk(node)) {
    if (n.k === 'fn' && n.name !== 'startswith' && n.name !== 'endswith') {
      throw unsupportedQuery(`Unsupported Query. The function '${n.name}' is not supported on resource '${rules.resource}'.`);
    }
    if (rules.directory && !advanced) {
      const needsAdvanced = (n.k === 'cmp' && n.op === 'ne') || n.k === 'not' || (n.k === 'fn' && n.name === 'endswith');
      if (needsAdvanced) {
        throw unsupportedQuery(
          `Unsupported or invalid query filter clause specified for resource '${rules.resource}': this operator needs an advanced query (ConsistencyLevel: eventual and $count=true).`,
        );
      }
    }
    if (rules.allowed && (n.k === 'path' || n.k === 'lambda')) {
      const head = n.path[0] ?? '';
      if (!lambdaVars.has(head) && !rules.allowed.has(head.toLowerCase())) {
        throw unsupportedQuery(
          `Unsupported or invalid query filter clause specified for property '${head}' of resource '${rules.resource}'.`,
        );
      }
    }
  }
  const opts = { caseInsensitive: rules.caseInsensitive };
  return (obj) => evaluateFilter(node, obj, opts);
}

/** `$orderby=prop [asc|desc]` on one property; anything else is refused. */
export function compileOrderBy(call: GraphCall): ((a: Json, b: Json) => number) | undefined {
  const raw = param(call, '$orderby');
  if (raw === undefined) return undefined;
  const m = /^\s*([A-Za-z][\w/]*)\s*(asc|desc)?\s*$/i.exec(raw);
  if (!m?.[1])
    throw unsupportedQuery(
      `Unsupported $orderby expression '${raw}': order by one property, optionally followed by asc or desc.`,
    );
  const path = m[1].split('/');
  const dir = m[2]?.toLowerCase() === 'desc' ? -1 : 1;
  const get = (o: Json): string => {
    let v: unknown = o;
    for (const p of path) v = typeof v === 'object' && v !== null ? (v as Json)[p] : undefined;
    return v === undefined || v === null ? '' : (typeof v === 'string' ? v : JSON.stringify(v)).toLowerCase();
  };
  return (a, b) => {
    const x = get(a);
    const y = get(b);
    return x < y ? -dir : x > y ? dir : 0;
  };
}

/** Graph refuses $search outside advanced queries; the sandbox does not model search at all. */
export function refuseUnsupported(call: GraphCall): void {
  if (param(call, '$search') !== undefined) throw unsupportedQuery('$search is not supported by the Graph sandbox.');
  if (param(call, '$skip') !== undefined)
    throw unsupportedQuery("'$skip' is not supported by this resource; page with @odata.nextLink.");
}
