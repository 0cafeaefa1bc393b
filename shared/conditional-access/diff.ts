/**
 * Differences between two sets of policies (backup vs backup, or backup vs live): added, removed and changed
 * policies, and for changed ones every JSON path that differs with its old and new value. Ids inside values are shown
 * with their names. Volatile properties (modifiedDateTime, ...) are not changes.
 */
import { VOLATILE } from './backupModel';
import { canonicalJson, type CaPolicy, isJson } from './model';

export interface PathChange {
  readonly path: string;
  readonly old: unknown;
  readonly new: unknown;
  /** For lists of ids: what was added and removed. */
  readonly added?: unknown[];
  readonly removed?: unknown[];
  /** Names of the ids mentioned in old/new, where known. */
  readonly names?: Record<string, string | null>;
}

export interface PolicyRef {
  readonly id: string;
  readonly displayName: string;
  readonly state: string;
}

export interface PolicyDiff {
  readonly added: PolicyRef[];
  readonly removed: PolicyRef[];
  readonly changed: (PolicyRef & { changes: PathChange[] })[];
  readonly unchanged: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

function namesIn(values: unknown[], names: (id: string) => string | null | undefined): Record<string, string | null> | undefined {
  const out: Record<string, string | null> = {};
  for (const v of values) {
    if (typeof v === 'string' && GUID.test(v)) {
      const n = names(v);
      out[v] = n ?? null;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function diffValues(
  oldValue: unknown,
  newValue: unknown,
  path: string,
  names: (id: string) => string | null | undefined,
  out: PathChange[],
): void {
  if (same(oldValue, newValue)) return;
  if (isJson(oldValue) && isJson(newValue)) {
    const keys = [...new Set([...Object.keys(oldValue), ...Object.keys(newValue)])].sort();
    for (const k of keys) {
      if (VOLATILE.has(k) || k.endsWith('@odata.context')) continue;
      diffValues(oldValue[k], newValue[k], path ? `${path}.${k}` : k, names, out);
    }
    return;
  }
  const change: { -readonly [K in keyof PathChange]: PathChange[K] } = { path, old: oldValue ?? null, new: newValue ?? null };
  if (Array.isArray(oldValue) && Array.isArray(newValue)) {
    change.added = newValue.filter((v) => !oldValue.some((o) => same(o, v)));
    change.removed = oldValue.filter((v) => !newValue.some((n) => same(n, v)));
  }
  const mentioned: unknown[] = [oldValue, newValue].flatMap((v): unknown[] => (Array.isArray(v) ? (v as unknown[]) : [v]));
  const n = namesIn(mentioned, names);
  if (n) change.names = n;
  out.push(change);
}

const ref = (p: CaPolicy): PolicyRef => ({ id: p.id, displayName: p.displayName, state: p.state });

export function diffPolicies(
  before: readonly CaPolicy[],
  after: readonly CaPolicy[],
  names: (id: string) => string | null | undefined,
): PolicyDiff {
  const old = new Map(before.map((p) => [p.id, p]));
  const now = new Map(after.map((p) => [p.id, p]));
  const diff: PolicyDiff = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const p of after) if (!old.has(p.id)) diff.added.push(ref(p));
  for (const p of before) {
    const current = now.get(p.id);
    if (!current) {
      diff.removed.push(ref(p));
      continue;
    }
    const changes: PathChange[] = [];
    diffValues(p, current, '', names, changes);
    if (changes.length === 0) (diff as { unchanged: number }).unchanged++;
    else diff.changed.push({ ...ref(current), changes });
  }
  return diff;
}
