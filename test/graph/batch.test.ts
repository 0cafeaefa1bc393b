import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { planChunks, prepareItems, toWire } from '../../shared/graph/batch';
import { GraphError } from '../../shared/graph/errors';
import type { BatchItem } from '../../shared/graph/types';

const BASE = 'https://graph.microsoft.com';
const get = (path: string, extra: Partial<BatchItem> = {}): BatchItem => ({ method: 'GET', path, ...extra });

describe('prepareItems', () => {
  it('numbers items by position when ids are omitted', () => {
    expect(prepareItems([get('/users/a'), get('/users/b')], BASE).map((p) => p.id)).toEqual(['1', '2']);
  });

  it('never generates an id the caller already used', () => {
    const ids = prepareItems([get('/a'), get('/b', { id: '1' }), get('/c')], BASE).map((p) => p.id);
    expect(ids).toEqual(['1-2', '1', '3']);
  });

  it('adds a JSON content type to items with a body (Graph rejects a body without one)', () => {
    const [item] = prepareItems([{ method: 'PATCH', path: '/groups/g', body: { a: 1 } }], BASE);
    expect(item?.headers).toEqual({ 'Content-Type': 'application/json' });
  });

  it('turns an absolute link under the base URL into a version-relative url', () => {
    const [item] = prepareItems([get(`${BASE}/v1.0/users?$skiptoken=x`)], BASE);
    expect(item?.url).toBe('/users?$skiptoken=x');
  });

  it('refuses duplicate ids, unknown or self dependencies, cycles and foreign links', () => {
    const bad: BatchItem[][] = [
      [get('/a', { id: 'x' }), get('/b', { id: 'x' })],
      [get('/a', { id: 'x', dependsOn: ['y'] })],
      [get('/a', { id: 'x', dependsOn: ['x'] })],
      [get('/a', { id: 'x', dependsOn: ['y'] }), get('/b', { id: 'y', dependsOn: ['x'] })],
      [get('https://evil.example/v1.0/users')],
      [get('users')],
    ];
    for (const items of bad) {
      expect(() => prepareItems(items, BASE)).toThrow(GraphError);
    }
  });
});

describe('planChunks', () => {
  it('packs 45 independent items into calls of 20, 20 and 5 in input order', () => {
    const chunks = planChunks(
      prepareItems(
        Array.from({ length: 45 }, (_, i) => get(`/users/u${i}`)),
        BASE,
      ),
    );
    expect(chunks.map((c) => c.length)).toEqual([20, 20, 5]);
    expect(chunks.flat().map((p) => p.index)).toEqual(Array.from({ length: 45 }, (_, i) => i));
  });

  it('keeps a dependsOn chain in one call even when it would straddle a boundary', () => {
    const items = [
      ...Array.from({ length: 18 }, (_, i) => get(`/a${i}`)),
      get('/x', { id: 'x' }),
      get('/y', { id: 'y', dependsOn: ['x'] }),
      get('/z', { id: 'z', dependsOn: ['y'] }),
    ];
    const chunks = planChunks(prepareItems(items, BASE));
    const withX = chunks.find((c) => c.some((p) => p.id === 'x'));
    expect(withX?.map((p) => p.id)).toEqual(expect.arrayContaining(['x', 'y', 'z']));
    expect(chunks.every((c) => c.length <= 20)).toBe(true);
  });

  it('lists a dependency before its dependent even when the caller gave them the other way round', () => {
    const items = [get('/b', { id: 'b', dependsOn: ['a'] }), get('/c'), get('/a', { id: 'a' })];
    expect(planChunks(prepareItems(items, BASE)).map((c) => c.map((p) => p.id))).toEqual([['a', 'b'], ['2']]);
  });

  it('never mixes dependsOn items with independent ones in one call (Graph refuses such batches)', () => {
    const items = [get('/p1'), get('/x', { id: 'x' }), get('/y', { id: 'y', dependsOn: ['x'] }), get('/p2')];
    const chunks = planChunks(prepareItems(items, BASE));
    for (const c of chunks) {
      const dependent = c.slice(1).filter((p) => p.dependsOn.length > 0).length;
      expect(dependent === 0 || dependent === c.length - 1).toBe(true);
    }
    expect(chunks.map((c) => c.map((p) => p.id))).toEqual([
      ['x', 'y'],
      ['1', '4'],
    ]);
  });

  it('refuses an item with more than one dependency (a fan-in cannot be fully sequential after a retry)', () => {
    const items = [
      get('/a', { id: 'a' }),
      get('/b', { id: 'b', dependsOn: ['a'] }),
      get('/c', { id: 'c', dependsOn: ['a', 'b'] }),
    ];
    expect(() => prepareItems(items, BASE)).toThrow(/one dependency per item/);
  });

  it('refuses a dependsOn group larger than one call', () => {
    const items = Array.from({ length: 21 }, (_, i) =>
      get(`/a${i}`, { id: `i${i}`, ...(i > 0 ? { dependsOn: [`i${i - 1}`] } : {}) }),
    );
    expect(() => planChunks(prepareItems(items, BASE))).toThrow(/at most 20/);
  });

  it('sends every item exactly once, in calls of at most 20, with its dependencies beside it', () => {
    const arb = fc.array(fc.array(fc.nat(), { maxLength: 1 }), { minLength: 1, maxLength: 120 }).map((deps) =>
      deps.map((ds, i): BatchItem => {
        const targets = i === 0 ? [] : [...new Set(ds.map((d) => `i${d % i}`))];
        // Keep dependency groups small enough to fit, as a caller must.
        return get(`/x${i}`, {
          id: `i${i}`,
          ...(i % 10 !== 0 && targets.length > 0 ? { dependsOn: targets.filter((t) => Number(t.slice(1)) >= i - (i % 10)) } : {}),
        });
      }),
    );
    fc.assert(
      fc.property(arb, (items) => {
        const prepared = prepareItems(items, BASE);
        const chunks = planChunks(prepared);
        const seen = chunks.flat().map((p) => p.id);
        if (seen.length !== items.length || new Set(seen).size !== items.length) return false;
        return chunks.every((c) => {
          const ids = new Set(c.map((p) => p.id));
          const position = new Map(c.map((p, k) => [p.id, k]));
          const depsFirst = c.every((p, k) => p.dependsOn.every((d) => (position.get(d) ?? Infinity) < k));
          const dependent = c.slice(1).filter((p) => p.dependsOn.length > 0).length;
          const notMixed = dependent === 0 || dependent === c.length - 1;
          return c.length <= 20 && depsFirst && notMixed && c.every((p) => p.dependsOn.every((d) => ids.has(d)));
        });
      }),
    );
  });
});

describe('toWire', () => {
  it('drops dependencies that already succeeded in an earlier round', () => {
    const [, second] = prepareItems([get('/a', { id: 'a' }), get('/b', { id: 'b', dependsOn: ['a'] })], BASE);
    expect(toWire(second!, new Set(['b']))).toEqual({ id: 'b', method: 'GET', url: '/b' });
    expect(toWire(second!, new Set(['a', 'b'])).dependsOn).toEqual(['a']);
  });
});
