/**
 * Route templates as the Functions host (ASP.NET Core routing) reads them: literal segments (case-insensitive),
 * `{name}`, `{name?}`, `{name:constraint}`, `{*rest}`. Only the `int` and `guid` constraints are enforced here; other
 * constraints are accepted and ignored. Precedence follows ASP.NET: literal before constrained before plain
 * parameter before optional before catch-all, segment by segment.
 */
type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | {
      readonly kind: 'param';
      readonly name: string;
      readonly optional: boolean;
      readonly constraint?: string;
      readonly catchAll: boolean;
    };

export interface RouteTemplate {
  readonly template: string;
  readonly segments: readonly Segment[];
  /** Lower sorts first (more specific). */
  readonly rank: readonly number[];
}

const PARAM = /^\{(\*{1,2})?([A-Za-z_][\w]*)(?::([^}?=]+))?(\?)?(?:=[^}]*)?\}$/;
const GUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$|^\{[0-9a-f-]{36}\}$/i;
const INT = /^-?\d+$/;

export function parseRouteTemplate(template: string): RouteTemplate {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const parts = trimmed === '' ? [] : trimmed.split('/');
  const segments = parts.map((part, index): Segment => {
    if (!part.includes('{')) return { kind: 'literal', text: part.toLowerCase() };
    const match = PARAM.exec(part);
    if (!match?.[2]) throw new Error(`Route template '${template}': segment '${part}' is not supported`);
    const catchAll = Boolean(match[1]);
    if (catchAll && index !== parts.length - 1)
      throw new Error(`Route template '${template}': a catch-all must be the last segment`);
    const constraint = match[3]?.toLowerCase();
    return {
      kind: 'param',
      name: match[2],
      optional: Boolean(match[4]) || catchAll,
      catchAll,
      ...(constraint ? { constraint } : {}),
    };
  });
  segments.forEach((segment, index) => {
    if (segment.kind === 'param' && segment.optional && !segment.catchAll && index !== segments.length - 1) {
      const rest = segments.slice(index + 1);
      if (rest.some((s) => s.kind === 'literal' || !s.optional)) {
        throw new Error(`Route template '${template}': optional parameter '${segment.name}' must be at the end`);
      }
    }
  });
  const rank = segments.map((s) => (s.kind === 'literal' ? 0 : s.catchAll ? 4 : s.optional ? 3 : s.constraint ? 1 : 2));
  return { template: trimmed, segments, rank };
}

/** Matches a decoded-per-segment path (without the route prefix); returns the parameters or undefined. */
export function matchRoute(route: RouteTemplate, pathSegments: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i]!;
    const value = pathSegments[i];
    if (segment.kind === 'literal') {
      if (value === undefined || value.toLowerCase() !== segment.text) return undefined;
      continue;
    }
    if (segment.catchAll) {
      const rest = pathSegments.slice(i);
      if (rest.length > 0) params[segment.name] = rest.join('/');
      return params;
    }
    if (value === undefined || value === '') {
      if (segment.optional) continue;
      return undefined;
    }
    if (segment.constraint === 'int' && !INT.test(value)) return undefined;
    if (segment.constraint === 'guid' && !GUID.test(value)) return undefined;
    params[segment.name] = value;
  }
  return pathSegments.length <= route.segments.length ? params : undefined;
}

export function compareRank(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x !== y) return x - y;
  }
  return 0;
}
