import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The CommonJS build must load in plain Node (toolchain pitfall 1: vitest's interop hides ESM/CJS export
 * mismatches that break `node dist/...`). These tests run the compiled output, building it first when dist is missing.
 */
const ROOT = path.resolve(__dirname, '../..');
const ENTRY = path.join(ROOT, 'dist/functions/index.js');
const START = path.join(ROOT, 'dist/local/start.js');

/** The newest .ts/.json under the compiled folders: a build older than that would test stale code. */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  for (const dir of ['functions', 'shared', 'local']) if (existsSync(path.join(ROOT, dir))) walk(path.join(ROOT, dir));
  return newest;
}

function runNode(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the built app', () => {
  beforeAll(() => {
    if (existsSync(ENTRY) && existsSync(START) && newestSource() <= statSync(ENTRY).mtimeMs) return;
    // Missing or stale dist: build. Type errors elsewhere do not stop tsc from emitting; a missing entry is the failure.
    spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'inherit',
      timeout: 180_000,
    });
    if (!existsSync(ENTRY)) throw new Error(`npx tsc -p tsconfig.build.json did not produce ${ENTRY}`);
  }, 200_000);

  it('loads dist/functions/index.js in plain Node and registers every function of the catalog', () => {
    // Outside the Functions worker @azure/functions runs in test mode and prints one "Skipping call to register"
    // warning per app.* call, which lets us count registrations without the host.
    const script = `
      require(${JSON.stringify(ENTRY)});
      const { allFunctions } = require(${JSON.stringify(path.join(ROOT, 'dist/functions/catalog.js'))});
      process.stdout.write(JSON.stringify(allFunctions.map((f) => f.name)));`;
    const env = {
      ...process.env,
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      GRAPH_AUTH: 'managedIdentity',
      GRAPH_BASE_URL: 'https://graph.microsoft.com',
    };
    const { status, stdout, stderr } = runNode(['-e', script], env);
    expect(stderr).not.toMatch(/SyntaxError|ERR_REQUIRE_ESM|Cannot find module|is not a function/);
    expect(status, stderr).toBe(0);
    // With enableHttpStream the library logs "HTTP streaming enabled." to stdout first; the names are the last line.
    const names = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as string[];
    expect(names).toContain('health');
    const registered = [...stderr.matchAll(/Skipping call to register function "([^"]+)"/g)].map((m) => m[1]);
    expect(registered.sort()).toEqual([...names].sort());
  });

  it('fails fast at load with a message naming the bad setting', () => {
    const { status, stderr } = runNode(['-e', `require(${JSON.stringify(ENTRY)})`], {
      PATH: process.env.PATH,
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      GRAPH_MAX_CONCURRENCY: 'lots',
    });
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/GRAPH_MAX_CONCURRENCY/);
  });

  it('npm start (dist/local/start.js) serves /api/health and exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'entra-ops-start-'));
    const child = spawn(process.execPath, [START], {
      cwd: ROOT,
      env: { ...process.env, ENTRA_OPS_PORT: '0', GRAPH_SANDBOX_PORT: '0', AZURITE_LOCATION: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const apiUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${output}`)), 60_000);
        const check = () => {
          const match = /API\s+(http:\/\/127\.0\.0\.1:\d+)\/api/.exec(output);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        };
        child.stdout.on('data', check);
        void exited.then((code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
      });
      const res = await fetch(`${apiUrl}/api/health`);
      expect(res.status, output).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(
        existsSync(path.join(dataDir, '__azurite_db_blob__.json')) || existsSync(path.join(dataDir, '__azurite_db_table__.json')),
      ).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
