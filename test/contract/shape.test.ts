import { describe, expect, it } from 'vitest';

import { compareShape, formatDifferences, jsonType } from './shape';

describe('compareShape', () => {
  it('accepts identical shapes with different values', () => {
    expect(compareShape({ id: 'a', n: 1, ok: true, tags: ['x'] }, { id: 'b', n: 2, ok: false, tags: ['y', 'z'] })).toEqual([]);
  });

  it('accepts extra properties on the actual side', () => {
    expect(compareShape({ id: 'a' }, { id: 'b', mail: 'm@contoso.com' })).toEqual([]);
  });

  it('reports a missing property with its path', () => {
    expect(compareShape({ value: [{ id: 'a', mail: 'x' }] }, { value: [{ id: 'a' }] })).toEqual([
      { path: '$.value[0].mail', expected: 'string', actual: 'missing' },
    ]);
  });

  it('reports a type mismatch', () => {
    expect(compareShape({ status: { errorCode: 0 } }, { status: { errorCode: '0' } })).toEqual([
      { path: '$.status.errorCode', expected: 'number', actual: 'string' },
    ]);
  });

  it('treats null on the actual side as a different type than a documented string', () => {
    expect(compareShape({ mail: 'a@b' }, { mail: null })).toEqual([{ path: '$.mail', expected: 'string', actual: 'null' }]);
  });

  it('lets a documented null match any value but still requires the property', () => {
    expect(compareShape({ failureReason: null }, { failureReason: 'Other.' })).toEqual([]);
    expect(compareShape({ failureReason: null }, {})).toEqual([{ path: '$.failureReason', expected: 'null', actual: 'missing' }]);
  });

  it('matches array elements in any order', () => {
    const expected = { value: [{ '@odata.type': '#microsoft.graph.user', id: 'u', mail: 'm' }] };
    const actual = {
      value: [
        { '@odata.type': '#microsoft.graph.group', id: 'g' },
        { '@odata.type': '#microsoft.graph.user', id: 'v', mail: 'n' },
      ],
    };
    expect(compareShape(expected, actual)).toEqual([]);
  });

  it('reports the closest element when no array element matches', () => {
    const diffs = compareShape({ value: [{ id: 'a', mail: 'm', n: 1 }] }, { value: [{ id: 'b' }, { id: 'c', mail: 'x' }] });
    expect(diffs).toEqual([{ path: '$.value[0].n', expected: 'number', actual: 'missing' }]);
  });

  it('requires a non-empty array when the example shows elements', () => {
    expect(compareShape({ value: [{ id: 'a' }] }, { value: [] })).toEqual([
      { path: '$.value', expected: 'array with 1 matching element(s)', actual: 'array(0)' },
    ]);
  });

  it('accepts any array content when the example array is empty', () => {
    expect(compareShape({ excludeTargets: [] }, { excludeTargets: [{ id: 'x' }] })).toEqual([]);
  });

  it('lets @odata.context, @odata.nextLink and property context annotations be absent', () => {
    const expected = { '@odata.context': 'c', '@odata.nextLink': 'n', 'includeTargets@odata.context': 'c', value: [] };
    expect(compareShape(expected, { value: [] })).toEqual([]);
  });

  it('still type-checks an optional key that is present', () => {
    expect(compareShape({ '@odata.nextLink': 'n' }, { '@odata.nextLink': 5 })).toEqual([
      { path: '$.@odata.nextLink', expected: 'string', actual: 'number' },
    ]);
  });

  it('honours a caller-supplied optional key list', () => {
    expect(compareShape({ '@odata.count': 1 }, {}, { optionalKeys: ['@odata.count'] })).toEqual([]);
    expect(compareShape({ '@odata.nextLink': 'n' }, {}, { optionalKeys: [] })).toEqual([
      { path: '$.@odata.nextLink', expected: 'string', actual: 'missing' },
    ]);
  });

  it('formats differences one per line', () => {
    expect(formatDifferences([{ path: '$.a', expected: 'string', actual: 'missing' }])).toBe('$.a: expected string, got missing');
  });

  it('names JSON types', () => {
    expect([null, true, 1, 's', [], {}].map(jsonType)).toEqual(['null', 'boolean', 'number', 'string', 'array', 'object']);
  });
});
