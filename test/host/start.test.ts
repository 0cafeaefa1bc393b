import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { applySettings, readLocalSettings } from '../../local/start';

describe('local settings for npm start', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'settings-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, value: unknown) => writeFileSync(path.join(dir, name), JSON.stringify(value));

  it('reads local.settings.json in preference to the sample, as strings', () => {
    write('local.settings.sample.json', { Values: { A: 'sample' } });
    write('local.settings.json', { IsEncrypted: false, Values: { A: 'mine', N: 5, B: true, Gone: null } });
    expect(readLocalSettings(dir)).toEqual({
      file: path.join(dir, 'local.settings.json'),
      values: { A: 'mine', N: '5', B: 'true' },
    });
  });

  it('falls back to the sample, and to nothing when neither file exists', () => {
    write('local.settings.sample.json', { Values: { A: 'sample' } });
    expect(readLocalSettings(dir).values).toEqual({ A: 'sample' });
    rmSync(path.join(dir, 'local.settings.sample.json'));
    expect(readLocalSettings(dir)).toEqual({ values: {} });
  });

  it('names the file when it is not valid JSON or Values holds an object', () => {
    writeFileSync(path.join(dir, 'local.settings.json'), '{ nope');
    expect(() => readLocalSettings(dir)).toThrow(/local\.settings\.json is not valid JSON/);
    write('local.settings.json', { Values: { X: { nested: true } } });
    expect(() => readLocalSettings(dir)).toThrow(/Values\.X/);
  });

  it('never overrides variables that are already set', () => {
    const env: NodeJS.ProcessEnv = { KEEP: 'from-shell', EMPTY: '' };
    applySettings({ KEEP: 'from-file', EMPTY: 'from-file', NEW: 'from-file' }, env);
    expect(env).toEqual({ KEEP: 'from-shell', EMPTY: '', NEW: 'from-file' });
  });
});
