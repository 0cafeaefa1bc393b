import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describe, expect, it } from 'vitest';

/**
 * azure.yaml against the rules of azd's published schema (schemas/v1.0/azure.yaml.json in Azure/azure-dev) for the
 * parts this file uses: the name pattern, `infra` provider/path/module, each service's required `host` and known
 * language, hook names and their `posix.shell` / `run`. No JSON-schema validator is installed, so the file is read
 * with a parser for the YAML subset it is written in (maps, scalars, comments) and the rules are checked directly.
 * The hook scripts are checked by shellcheck (CI installs it from Debian).
 */
const root = resolve(__dirname, '..', '..');
type Node = string | { [key: string]: Node };

function parseYamlSubset(text: string): Node {
  const top: Record<string, Node> = {};
  const stack: { indent: number; map: Record<string, Node> }[] = [{ indent: -1, map: top }];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    const m = /^([\w.-]+):(?:\s+(.*))?$/.exec(line.trim());
    if (!m?.[1]) throw new Error(`azure.yaml: unsupported line: ${raw}`);
    while ((stack.at(-1)?.indent ?? -1) >= indent) stack.pop();
    const parent = stack.at(-1)!.map;
    if (m[2] === undefined || m[2] === '') {
      const child: Record<string, Node> = {};
      parent[m[1]] = child;
      stack.push({ indent, map: child });
    } else parent[m[1]] = m[2].replace(/^'(.*)'$|^"(.*)"$/, '$1$2');
  }
  return top;
}

const yaml = parseYamlSubset(readFileSync(join(root, 'azure.yaml'), 'utf8')) as Record<string, Record<string, Node>>;
const SERVICE_HOOKS = ['predeploy', 'postdeploy', 'prerestore', 'postrestore', 'prebuild', 'postbuild', 'prepackage', 'postpackage'];
const PROJECT_HOOKS = ['preprovision', 'postprovision', 'predeploy', 'postdeploy', 'preup', 'postup', 'predown', 'postdown'];

function hookScripts(hooks: Node, allowed: readonly string[]): string[] {
  const out: string[] = [];
  for (const [name, hook] of Object.entries(hooks as Record<string, Node>)) {
    expect(allowed, `hook ${name}`).toContain(name);
    const posix = (hook as Record<string, Node>).posix as Record<string, string>;
    expect(['sh', 'pwsh']).toContain(posix.shell);
    expect(posix.run).toMatch(/^bash infra\/hooks\/[\w-]+\.sh$/);
    if (posix.continueOnError !== undefined) expect(['true', 'false']).toContain(posix.continueOnError);
    out.push(posix.run!.replace(/^bash /, ''));
  }
  return out;
}

describe('azure.yaml (azd)', () => {
  it('names the app and provisions infra/main.bicep', () => {
    expect(yaml.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(yaml.infra).toEqual({ provider: 'bicep', path: 'infra', module: 'main' });
    expect(existsSync(join(root, 'infra', 'main.bicep'))).toBe(true);
  });

  it('publishes one function app service from the repo root, without a server-side build', () => {
    const services = yaml.services as Record<string, Record<string, Node>>;
    expect(Object.keys(services)).toEqual(['api']);
    expect(services.api).toMatchObject({ project: '.', language: 'ts', host: 'function', remoteBuild: 'false' });
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
