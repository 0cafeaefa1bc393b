import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Runs the measured part of a bench in a child process started with the Node arguments the deployment gives the
 * Functions worker, so its peak RSS is the app's memory as deployed. The child is this same script with extra
 * arguments; it prints its result as one JSON document on stdout and its progress on stderr.
 */

/** 256 MiB, the deployed memory target, in the MB (10^6 bytes) the memory probe reports. */
export const RSS_LIMIT_MB = Math.floor((256 * 1024 * 1024) / 1e5) / 10;

export interface NodeArguments {
  readonly args: string[];
  /** Where they came from, for the bench JSON. */
  readonly source: string;
}

/** The heap cap docs/deployment.md tells small instances to set (`languageWorkers__node__arguments`). */
const DOCUMENTED_HEAP_FLAG = '--max-old-space-size=192';

/**
 * The `--max-old-space-size` the Bicep passes to the worker through `languageWorkers__node__arguments`; while the
 * Bicep sets none, the value the deployment guide recommends. The bench measures what the deployment runs.
 */
export function deployedNodeArguments(): NodeArguments {
  let text = '';
  try {
    text = readFileSync(path.resolve(__dirname, '../../infra/main.bicep'), 'utf8');
  } catch {
    // No Bicep next to the build: fall back to the documented value below.
  }
  const line = text.split('\n').find((l) => l.includes('languageWorkers__node__arguments'));
  const flag = /--max-old-space-size=\d+/.exec(line ?? '')?.[0];
  return flag
    ? { args: [flag], source: 'languageWorkers__node__arguments in infra/main.bicep' }
    : { args: [DOCUMENTED_HEAP_FLAG], source: 'not set in infra/main.bicep; the value docs/deployment.md recommends' };
}

/** Runs `script` with `args` in a child started with `nodeArgs`; resolves with the JSON it printed. */
export function runInChild<T>(
  script: string,
  args: readonly string[],
  nodeArgs: readonly string[],
  log: (line: string) => void,
): Promise<T> {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let partial = '';
  const lines: string[] = [];
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      log(line);
      lines.push(line);
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(JSON.parse(out) as T);
      else
        reject(
          new Error(
            `${path.basename(script)} ${args.join(' ')} exited (${code ?? signal}): ${[...lines.slice(-20), partial].join('\n')}`,
          ),
        );
    });
  });
}

/** Child side: runs `work`, prints its result as JSON on stdout, exits 1 with the error on stderr if it fails. */
export function childMain(work: () => Promise<unknown>): void {
  work()
    .then((result) => process.stdout.write(`${JSON.stringify(result)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    });
}
