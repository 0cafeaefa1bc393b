/**
 * Structural comparison for contract tests: does an actual Graph response have the SHAPE of a documented example?
 *
 * Rules (the docs' examples are "shortened for readability", so the actual side may carry more):
 * - every property the example shows must exist in the actual object, with the same JSON type
 *   (null, boolean, number, string, array, object), recursively;
 * - an example value of `null` only requires the property to exist (the docs print null for "not set");
 * - extra properties on the actual side are fine;
 * - arrays: every element the example shows must match (recursively, with these rules) at least one actual element,
 *   so order and truncation do not matter; a non-empty example array needs a non-empty actual array;
 * - keys listed in `optionalKeys` (default: `@odata.context`, `@odata.nextLink` and any `<property>@odata.context`
 *   annotation) may be missing; when present their type still has to match.
 */

export type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

export interface ShapeDifference {
  /** JSON path of the mismatch, e.g. `$.value[0].status.errorCode`. */
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
}

export interface ShapeOptions {
  /** Keys that may be absent on the actual side (still type-checked when present). */
  readonly optionalKeys?: readonly string[];
}

export const DEFAULT_OPTIONAL_KEYS: readonly string[] = ['@odata.context', '@odata.nextLink'];

export function jsonType(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'object':
      return 'object';
    default:
      throw new Error(`not a JSON value: ${typeof value}`);
  }
}

function isOptional(key: string, optional: ReadonlySet<string>): boolean {
  return optional.has(key) || key.endsWith('@odata.context');
}

function describe(value: unknown): string {
  const t = jsonType(value);
  return t === 'array' ? `array(${(value as unknown[]).length})` : t;
}

function compareAt(
  expected: unknown,
  actual: unknown,
  path: string,
  optional: ReadonlySet<string>,
  out: ShapeDifference[],
): void {
  if (expected === null) return;
  const et = jsonType(expected);
  const at = jsonType(actual);
  if (et !== at) {
    out.push({ path, expected: et, actual: describe(actual) });
    return;
  }
  if (et === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const key of Object.keys(e)) {
      const childPath = `${path}.${key}`;
      if (!Object.prototype.hasOwnProperty.call(a, key)) {
        if (!isOptional(key, optional)) out.push({ path: childPath, expected: jsonType(e[key]), actual: 'missing' });
        continue;
      }
      compareAt(e[key], a[key], childPath, optional, out);
    }
    return;
  }
  if (et === 'array') {
    const e = expected as unknown[];
    const a = actual as unknown[];
    if (e.length === 0) return;
    if (a.length === 0) {
      out.push({ path, expected: `array with ${e.length} matching element(s)`, actual: 'array(0)' });
      return;
    }
    e.forEach((element, i) => {
      let best: ShapeDifference[] | undefined;
      for (const candidate of a) {
        const diffs: ShapeDifference[] = [];
        compareAt(element, candidate, `${path}[${i}]`, optional, diffs);
        if (diffs.length === 0) return;
        if (best === undefined || diffs.length < best.length) best = diffs;
      }
      out.push(...(best ?? []));
    });
  }
}

/** Returns every difference between the documented `expected` shape and `actual`; empty when the shapes agree. */
export function compareShape(expected: unknown, actual: unknown, options: ShapeOptions = {}): ShapeDifference[] {
  const optional = new Set(options.optionalKeys ?? DEFAULT_OPTIONAL_KEYS);
  const out: ShapeDifference[] = [];
  compareAt(expected, actual, '$', optional, out);
  return out;
}

/** One line per difference, for assertion messages and reports. */
export function formatDifferences(diffs: readonly ShapeDifference[]): string {
  return diffs.map((d) => `${d.path}: expected ${d.expected}, got ${d.actual}`).join('\n');
}
