/**
 * Route table: templates like `/groups/{id}/members/$ref`; literal segments match case-insensitively (Graph URLs are
 * case-insensitive), the most literal match wins (so `/groups/delta` beats `/groups/{id}`).
 */
import type { ThrottleClass } from './throttling';
import type { Handler } from './types';

export interface RouteDef {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Template below /v1.0, every key segment written `{id}`. */
  readonly path: string;
  readonly throttle: ThrottleClass;
  /** Base resource units (throttling-limits.md); default 1. */
  readonly cost?: number;
  /** Counts against the write quota; default: every method except GET. */
  readonly write?: boolean;
  readonly handler: Handler;
}

interface Compiled {
  readonly def: RouteDef;
  readonly segments: readonly string[];
  readonly template: string;
}

export interface RouteMatch {
  readonly def: RouteDef;
  readonly params: string[];
  readonly template: string;
}

export type MatchResult =
  { readonly kind: 'match'; readonly match: RouteMatch } | { readonly kind: 'none' | 'method'; readonly template: string };

const KEYLIKE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|@|^\d+$/i;

export class Router {
  private readonly routes: Compiled[] = [];

  add(...defs: RouteDef[]): this {
    for (const def of defs) {
      const segments = def.path.split('/').filter((s) => s.length > 0);
      this.routes.push({
        def,
        segments: segments.map((s) => (s === '{id}' ? s : s.toLowerCase())),
        template: `${def.method} ${def.path}`,
      });
    }
    return this;
  }

  match(method: string, segments: readonly string[]): MatchResult {
    let best: { c: Compiled; params: string[]; score: number } | undefined;
    let methodMismatch: Compiled | undefined;
    for (const c of this.routes) {
      if (c.segments.length !== segments.length) continue;
      const params: string[] = [];
      let score = 0;
      let ok = true;
      for (let i = 0; i < segments.length; i++) {
        const pattern = c.segments[i];
        const actual = segments[i] ?? '';
        if (pattern === '{id}') params.push(actual);
        else if (pattern === actual.toLowerCase()) score++;
        else {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (c.def.method !== method) {
        methodMismatch ??= c;
        continue;
      }
      if (!best || score > best.score) best = { c, params, score };
    }
    if (best) return { kind: 'match', match: { def: best.c.def, params: best.params, template: best.c.template } };
    if (methodMismatch) return { kind: 'method', template: `${method} /${methodMismatch.segments.join('/')}` };
    return { kind: 'none', template: `${method} /${segments.map((s) => (KEYLIKE.test(s) ? '{id}' : s)).join('/')}` };
  }
}
