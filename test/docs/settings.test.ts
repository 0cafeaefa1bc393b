import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { SETTING_NAMES } from '../../shared/config';

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** README.md plus every page under docs/ (decision records included). */
function documentation(): string {
  const pages: string[] = [read('README.md')];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.md')) pages.push(read(rel));
    }
  };
  walk('docs');
  return pages.join('\n');
}

/** A setting counts as documented when it appears in code formatting, e.g. `PHONE_OVERWRITE`, not as a substring. */
const mentions = (text: string, name: string) => text.includes(`\`${name}\``);

// Set only in Azure, by infra/main.bicep: the identity-based storage connection replaces the local connection string
// (an empty `AzureWebJobsStorage__accountName` would make the Functions host try it), and the managed identity's client id.
// Azure-only: identity-based storage, the managed identity, and what App Service itself sets on every site.
const AZURE_ONLY = /^(AzureWebJobsStorage__\w+|AZURE_CLIENT_ID|WEBSITE_\w+)$/;

describe('settings documentation', () => {
  it('reads a non-trivial list of settings from the config schema', () => {
    expect(SETTING_NAMES).toContain('AzureWebJobsStorage');
    expect(SETTING_NAMES).toContain('GRAPH_BASE_URL');
    expect(new Set(SETTING_NAMES).size).toBe(SETTING_NAMES.length);
  });

  it('documents every setting shared/config.ts reads, in README.md or docs/', () => {
    const docs = documentation();
    const undocumented = SETTING_NAMES.filter((name) => !mentions(docs, name));
    expect(undocumented, 'add these to docs/configuration.md (and the capability page)').toEqual([]);
  });

  it('lists every setting but the Azure-only ones in local.settings.sample.json', () => {
    const sample = z.object({ Values: z.record(z.string(), z.string()) }).parse(JSON.parse(read('local.settings.sample.json')));
    const missing = SETTING_NAMES.filter((name) => !AZURE_ONLY.test(name) && !(name in sample.Values));
    expect(missing, 'add these with a safe local value to local.settings.sample.json').toEqual([]);
  });

  it('documents no app setting in docs/configuration.md that the code does not read', () => {
    // The tables' first column is the setting; the local-stack section lists environment variables, not app settings.
    const page = read('docs/configuration.md').split(/^## Settings of the local stack/m)[0] ?? '';
    const documented = [...page.matchAll(/^\| `([A-Za-z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.length).toBeGreaterThan(10);
    expect(documented.filter((name) => name && !SETTING_NAMES.includes(name))).toEqual([]);
  });
});
