/**
 * The Graph sandbox: a loopback HTTP server speaking the Microsoft Graph v1.0 subset entra-ops uses, loaded with a
 * simulated tenant (contract: local/sandbox/README.md; fidelity notes: local/sandbox/FIDELITY.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { SandboxKnobs } from './knobs';
import { type GraphSandbox, startServer } from './server';
import { parseTenantFile, type TenantFile } from './tenantFile';

export type { FaultRule, SandboxKnobs } from './knobs';
export { defaultKnobs } from './knobs';
export type { GraphSandbox } from './server';
export type { SandboxStats } from './stats';
export { parseTenantFile, type TenantFile, tenantFileSchema } from './tenantFile';

export interface StartOptions {
  /** 0 = a free port chosen by the OS (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A tenant object or a path to tenant JSON; default local/tenants/demo.json. */
  tenant?: TenantFile | string;
  knobs?: Partial<SandboxKnobs>;
}

/** Where the demo tenant lives, from source (local/sandbox) or from the build (dist/local/sandbox). */
function defaultTenantCandidates(): string[] {
  return [
    path.resolve(__dirname, '../tenants/demo.json'),
    path.resolve(__dirname, '../../../local/tenants/demo.json'),
    path.resolve(process.cwd(), 'local/tenants/demo.json'),
  ];
}

export function loadTenantFile(file: string): TenantFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read tenant file ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`Tenant file ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return parseTenantFile(json, file);
}

function resolveTenant(tenant: TenantFile | string | undefined): TenantFile {
  if (typeof tenant === 'string') return loadTenantFile(tenant);
  if (tenant !== undefined) return parseTenantFile(tenant);
  const candidates = defaultTenantCandidates();
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new Error(
      `No tenant given and the demo tenant was not found (looked for ${candidates.join(', ')}). Pass options.tenant (object or path) or create local/tenants/demo.json.`,
    );
  }
  return loadTenantFile(found);
}

export async function startGraphSandbox(options: StartOptions = {}): Promise<GraphSandbox> {
  return startServer({
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    tenant: resolveTenant(options.tenant),
    knobs: options.knobs ?? {},
  });
}
