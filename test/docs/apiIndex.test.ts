import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { allFunctions } from '../../functions/catalog';

const ROOT = path.resolve(__dirname, '../..');

interface IndexRow {
  readonly method: string;
  readonly route: string;
  readonly status: string;
}

/**
 * The rows of README.md's "API index" table, one per method: `| GET PUT | `/api/x/{id}[?q=]` | built | ... |`.
 * Optional query parts (`[?dryRun=true]`, `?user=`) are dropped: the catalog's routes carry none.
 */
function apiIndex(): IndexRow[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = /^## API index$([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
  const rows: IndexRow[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const [, methods, route, status] = cells;
    if (!methods || !route?.startsWith('`/')) continue;
    const bare = route.replace(/`/g, '').replace(/\[?\?.*$/, '');
    for (const method of methods.split(/\s+/)) rows.push({ method, route: bare, status: status ?? '' });
  }
  return rows;
}

const catalogRoutes = allFunctions.flatMap((def) =>
  def.kind === 'http'
    ? (def.options.methods ?? []).map((method) => ({ method, route: `/api/${def.options.route ?? def.name}` }))
    : [],
);

describe("README's API index", () => {
  it('has a row for every route of the public contract, each marked built or planned', () => {
    const rows = apiIndex();
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) {
      expect(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], `${row.method} ${row.route}`).toContain(row.method);
      expect(['built', 'planned'], `${row.method} ${row.route}`).toContain(row.status);
    }
  });

  it('lists every HTTP route of functions/catalog.ts, marked built', () => {
    const rows = apiIndex();
    const missing = catalogRoutes.filter(
      ({ method, route }) => !rows.some((r) => r.method === method && r.route === route && r.status === 'built'),
    );
    expect(missing, 'add (or mark built) these rows in the API index of README.md').toEqual([]);
  });

  it('marks built only routes the catalog registers', () => {
    const phantom = apiIndex().filter(
      (r) => r.status === 'built' && !catalogRoutes.some((c) => c.method === r.method && c.route === r.route),
    );
    expect(phantom, 'these rows say built, but no function in functions/catalog.ts serves them').toEqual([]);
  });
});
