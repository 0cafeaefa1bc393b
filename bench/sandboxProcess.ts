import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { SandboxKnobs } from '../local/sandbox';
import { sandboxControl } from './common';

/**
 * The Graph sandbox in its own process, so a bench's memory probe (`process.memoryUsage().rss`) measures the app and
 * not the simulated tenant: a 200k-member tenant with its indices and change log takes several hundred MB that a real
 * deployment never holds. The tenant is handed over as a JSON file (`GRAPH_SANDBOX_TENANT`), written as a stream so the
 * bench process never builds the whole document as one string either.
 */
export interface SandboxProcess {
  /** Base URL (`http://127.0.0.1:<port>`); Graph routes under `/v1.0`, control routes under `/_sandbox/`. */
  readonly url: string;
  readonly pid: number | undefined;
  close(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 10_000;
const LISTENING = /listening at (http:\/\/[\d.:]+)\/v1\.0/;

/** Parts of a tenant file: plain JSON values, or functions returning an iterable for the big arrays (users, groups...). */
export type TenantParts = Record<string, unknown>;

/** Writes a tenant JSON file part by part; generator parts become arrays written one element at a time. */
export async function writeTenantFile(file: string, parts: TenantParts): Promise<void> {
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  let first = true;
  await write('{');
  for (const [key, value] of Object.entries(parts)) {
    await write(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    if (typeof value !== 'function') {
      await write(JSON.stringify(value));
      continue;
    }
    await write('[');
    let index = 0;
    // Elements in blocks: one write per element would spend more time in the stream than in the JSON.
    let block: string[] = [];
    for (const element of (value as () => Iterable<unknown>)()) {
      block.push(`${index++ === 0 ? '' : ','}${JSON.stringify(element)}`);
      if (block.length === 1000) {
        await write(block.join(''));
        block = [];
      }
    }
    await write(`${block.join('')}]`);
  }
  out.end('}');
  await once(out, 'finish');
}

function waitForUrl(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${out}`)), STARTUP_TIMEOUT_MS);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const url = LISTENING.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited (${code ?? 'signal'}): ${out}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts `dist/local/sandbox/main.js` on a free port with the tenant from `parts` (written to a temp file that is
 * removed on close) and applies `knobs`. A parent that exits without close() still takes the child with it.
 */
export async function startSandboxProcess(parts: TenantParts, knobs: Partial<SandboxKnobs>): Promise<SandboxProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-sandbox-'));
  const tenantFile = path.join(dir, 'tenant.json');
  await writeTenantFile(tenantFile, parts);
  const child = spawn(process.execPath, [path.join(__dirname, '../local/sandbox/main.js')], {
    env: { ...process.env, GRAPH_SANDBOX_PORT: '0', GRAPH_SANDBOX_TENANT: tenantFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  const close = async () => {
    process.off('exit', orphanGuard);
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await waitForUrl(child);
    // The sandbox's stdout is no longer read once it listens; drop it so a full pipe never blocks the child.
    child.stdout?.resume();
    await sandboxControl(url, '/_sandbox/knobs', knobs);
    return { url, pid: child.pid, close };
  } catch (err) {
    await close();
    throw err;
  }
}
