import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { ACTION_SPECS, ACTIONS } from '../../shared/remediation/actions';

/** Each action's declared permission, infra/graph-permissions.json and the docs' permission matrix stay in step. */
const root = path.resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(path.join(root, 'infra/graph-permissions.json'), 'utf8')) as {
  capabilities: Record<string, { permissions: { name: string }[] }>;
};
const doc = readFileSync(path.join(root, 'docs/remediation.md'), 'utf8');
const declared = (capability: string) => (manifest.capabilities[capability]?.permissions ?? []).map((p) => p.name);

describe('remediation permissions', () => {
  it('declares every action permission under the remediation capability', () => {
    for (const action of ACTIONS) expect(declared('remediation'), action).toContain(ACTION_SPECS[action].permission);
  });

  it('lists each action with its permission in the docs matrix', () => {
    for (const action of ACTIONS) {
      const row = doc.split('\n').find((l) => l.startsWith('|') && (l.split('|')[1] ?? '').includes(`\`${action}\``));
      expect(row, `docs/remediation.md has a row for ${action}`).toBeDefined();
      expect(row).toContain(`\`${ACTION_SPECS[action].permission}\``);
    }
  });

  it('declares nothing for remediation that no action or pre-flight read uses', () => {
    const used = new Set([
      ...ACTIONS.map((a) => ACTION_SPECS[a].permission),
      'User.Read.All',
      'RoleManagement.Read.Directory',
      'Policy.Read.AuthenticationMethod',
    ]);
    for (const name of declared('remediation')) expect(used, name).toContain(name);
    for (const name of declared('tap')) expect(doc + readFileSync(path.join(root, 'docs/tap.md'), 'utf8')).toContain(name);
  });
});
