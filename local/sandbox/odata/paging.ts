/**
 * Server-side paging: the first request of a listing materialises the matching items once (ids or objects) into a
 * cursor; each `@odata.nextLink` carries `$skiptoken=<cursor>.<offset>` and only slices that array. Cursors expire
 * (Graph: `Directory_ExpiredPageToken`), so memory stays bounded.
 */
import { randomUUID } from 'node:crypto';

import { GraphError } from '../errors';
import type { GraphCall } from '../types';
import { param } from './query';

interface Cursor {
  readonly items: readonly unknown[];
  readonly expiresAt: number;
}

const MAX_CURSORS = 256;
const CURSOR_TTL_MS = 60 * 60 * 1000;

export class CursorStore {
  private readonly cursors = new Map<string, Cursor>();

  put(items: readonly unknown[]): string {
    const id = randomUUID().replace(/-/g, '');
    this.cursors.set(id, { items, expiresAt: Date.now() + CURSOR_TTL_MS });
    while (this.cursors.size > MAX_CURSORS) {
      const oldest = this.cursors.keys().next().value;
      if (oldest === undefined) break;
      this.cursors.delete(oldest);
    }
    return id;
  }

  get(id: string): readonly unknown[] | undefined {
    const c = this.cursors.get(id);
    if (!c) return undefined;
    if (Date.now() > c.expiresAt) {
      this.cursors.delete(id);
      return undefined;
    }
    return c.items;
  }

  clear(): void {
    this.cursors.clear();
  }
}

export const expiredPageToken = (): GraphError =>
  new GraphError(
    400,
    'Directory_ExpiredPageToken',
    'The specified page token value has expired and can no longer be included in your request.',
  );

/** Same path and query as the request, with `$skiptoken` replaced. */
export function linkWith(call: GraphCall, name: '$skiptoken' | '$deltatoken', token: string, dropOthers = false): string {
  const q = dropOthers ? new URLSearchParams() : new URLSearchParams(call.query);
  q.delete('$skiptoken');
  q.delete('$deltatoken');
  q.set(name, token);
  const path = call.rawPath.split('?')[0] ?? '';
  return `${call.origin}/v1.0${path}?${q.toString().replace(/%24/g, '$').replace(/%2C/gi, ',')}`;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextLink?: string;
  /** Total matching items (for `@odata.count`). */
  readonly total: number;
}

/**
 * Returns one page. `supply` is only called on the first request of a listing (no `$skiptoken`), so filters and
 * member expansion run once per listing, not once per page.
 */
export function paginate<T>(call: GraphCall, store: CursorStore, pageSize: number, supply: () => readonly T[]): Page<T> {
  const token = param(call, '$skiptoken');
  let items: readonly T[];
  let offset = 0;
  let cursorId: string | undefined;
  if (token !== undefined) {
    const m = /^([0-9a-f]{32})\.(\d+)$/.exec(token);
    const found = m?.[1] ? store.get(m[1]) : undefined;
    if (!m?.[1] || !found) throw expiredPageToken();
    items = found as readonly T[];
    cursorId = m[1];
    offset = Number(m[2]);
  } else {
    items = supply();
  }
  const end = Math.min(items.length, offset + pageSize);
  const page = items.slice(offset, end);
  if (end >= items.length) return { items: page, total: items.length };
  cursorId ??= store.put(items);
  return { items: page, total: items.length, nextLink: linkWith(call, '$skiptoken', `${cursorId}.${end}`) };
}
