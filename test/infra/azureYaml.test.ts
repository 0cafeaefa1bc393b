import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import draft7MetaSchema from 'ajv/dist/refs/json-schema-draft-07.json';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * azure.yaml against azd's published schema (vendored under infra/schemas/azd with its source commit), validated with
 * ajv, plus the choices this project makes in it: one function app service published as built, hooks that exist,
 * are executable and pass shellcheck (CI installs it from Debian).
 */
const root = resolve(__dirname, '..', '..');
const SCHEMAS = join(root, 'infra', 'schemas', 'azd');
const RAW = 'https://raw.githubusercontent.com/Azure/azure-dev/main/';
type Node = string | boolean | { [key: string]: Node };

/** A validator for azd's schema: 2019-09 at the top, draft-07 for the extension schemas it references by URL. */
function azdValidator(): ValidateFunction {
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addMetaSchema(draft7MetaSchema);
  const extensions = join(SCHEMAS, 'cli', 'azd', 'extensions');
  for (const ext of readdirSync(extensions)) {
    for (const file of readdirSync(join(extensions, ext, 'schemas'))) {
      const schema = JSON.parse(readFileSync(join(extensions, ext, 'schemas', file), 'utf8')) as { $id?: string };
      const url = `${RAW}cli/azd/extensions/${ext}/schemas/${file}`;
      if (schema.$id !== undefined) expect(schema.$id).toBe(url);
      ajv.addSchema(schema, schema.$id === undefined ? url : undefined);
    }
  }
  return ajv.compile(JSON.parse(readFileSync(join(SCHEMAS, 'schemas', 'v1.0', 'azure.yaml.json'), 'utf8')) as object);
}

const validate = azdValidator();
const text = readFileSync(join(root, 'azure.yaml'), 'utf8');
const yaml = parse(text) as Record<string, Record<string, Node>>;
const SERVICE_HOOKS = ['predeploy', 'postdeploy', 'prerestore', 'postrestore', 'prebuild', 'postbuild', 'prepackage', 'postpackage'];
const PROJECT_HOOKS = ['preprovision', 'postprovision', 'predeploy', 'postdeploy', 'preup', 'postup', 'predown', 'postdown'];

function hookScripts(hooks: Node, allowed: readonly string[]): string[] {
  const out: string[] = [];
  for (const [name, hook] of Object.entries(hooks as Record<string, Node>)) {
    expect(allowed, `hook ${name}`).toContain(name);
    const posix = (hook as Record<string, Node>).posix as Record<string, string>;
    expect(['sh', 'pwsh']).toContain(posix.shell);
    expect(posix.run).toMatch(/^bash infra\/hooks\/[\w-]+\.sh$/);
    if (posix.continueOnError !== undefined) expect(typeof posix.continueOnError).toBe('boolean');
    out.push(posix.run!.replace(/^bash /, ''));
  }
  return out;
}

describe('azure.yaml (azd)', () => {
  it('is valid against azd\'s published schema, the one its editor comment names', () => {
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${RAW}schemas/v1.0/azure.yaml.json`);
    const ok = validate(yaml);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  type Doc = { name: string; infra: Record<string, unknown>; services: { api: Record<string, Record<string, unknown>> } };
  it.each<[string, (d: Doc) => void]>([
    ['an upper-case name', (d) => (d.name = 'Entra_Ops')],
    ['a service without host', (d) => delete d.services.api.host],
    ['an unknown service hook', (d) => (d.services.api.hooks!.preflight = { run: 'x' })],
    ['infra layers beside infra path', (d) => (d.infra.layers = [{ name: 'a', path: 'b' }])],
  ])('the schema refuses %s (the validation is real)', (_name, mutate) => {
    const doc = structuredClone(yaml) as unknown as Doc;
    mutate(doc);
    expect(validate(doc)).toBe(false);
  });

  it('names the app and provisions infra/main.bicep', () => {
    expect(yaml.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(yaml.infra).toEqual({ provider: 'bicep', path: 'infra', module: 'main' });
    expect(existsSync(join(root, 'infra', 'main.bicep'))).toBe(true);
  });

  it('publishes one function app service from the repo root, without a server-side build', () => {
    const services = yaml.services as Record<string, Record<string, Node>>;
    expect(Object.keys(services)).toEqual(['api']);
    expect(services.api).toMatchObject({ project: '.', language: 'ts', host: 'function', remoteBuild: false });
    expect(readFileSync(join(root, 'infra', 'main.bicep'), 'utf8')).toContain("'azd-service-name': 'api'");
  });

  it('runs executable, shellcheck-clean hooks: prune before packaging, events and permissions after deploying', () => {
    const scripts = [
      ...hookScripts((yaml.services as Record<string, Record<string, Node>>).api!.hooks!, SERVICE_HOOKS),
      ...hookScripts(yaml.hooks as Node, PROJECT_HOOKS),
    ];
    expect(scripts).toEqual(['infra/hooks/prepackage.sh', 'infra/hooks/postdeploy.sh']);
    for (const s of scripts) accessSync(join(root, s), constants.X_OK);
    expect(readFileSync(join(root, 'infra/hooks/prepackage.sh'), 'utf8')).toContain('npm prune --omit=dev');
    const postdeploy = readFileSync(join(root, 'infra/hooks/postdeploy.sh'), 'utf8');
    expect(postdeploy).toContain('deployEventSubscription=true');
    expect(postdeploy).toContain('infra/grant-graph-permissions.sh');
    const shellcheck = ['/usr/bin/shellcheck', '/usr/local/bin/shellcheck'].find((p) => existsSync(p));
    if (!shellcheck) {
      if (process.env.CI === 'true') throw new Error('shellcheck is missing: CI must install it (apt-get install shellcheck)');
      console.warn('azure.yaml hooks: shellcheck not installed here, skipped the lint');
      return;
    }
    execFileSync(shellcheck, ['-x', ...scripts.map((s) => join(root, s)), join(root, 'infra/grant-graph-permissions.sh')]);
  });
});
