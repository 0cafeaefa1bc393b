import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * The Node arguments the Bicep passes to the worker through `languageWorkers__node__arguments`, built from the
 * defaults of its `nodeMaxOldSpaceMiB` and `nodeMaxSemiSpaceMiB` parameters (0 leaves a flag out, as the Bicep does).
 * The benches measure what the deployment runs; without the Bicep next to the build they fail rather than guess.
 */
export function deployedNodeArguments(): NodeArguments {
  // From dist/bench/ when built, from bench/ when run from source (tests).
  const bicepPath = ['../../infra/main.bicep', '../infra/main.bicep']
    .map((p) => path.resolve(__dirname, p))
    .find((p) => existsSync(p));
  if (!bicepPath) throw new Error('infra/main.bicep not found next to the bench');
  const bicep = readFileSync(bicepPath, 'utf8');
  const param = (name: string) => {
    const value = new RegExp(`^param ${name} int = (\\d+)$`, 'm').exec(bicep)?.[1];
    if (value === undefined) throw new Error(`infra/main.bicep has no default for ${name}`);
    return Number(value);
  };
  const oldSpace = param('nodeMaxOldSpaceMiB');
  const semiSpace = param('nodeMaxSemiSpaceMiB');
  return {
    args: [
      ...(oldSpace > 0 ? [`--max-old-space-size=${oldSpace}`] : []),
      ...(semiSpace > 0 ? [`--max-semi-space-size=${semiSpace}`] : []),
    ],
    source: 'nodeMaxOldSpaceMiB and nodeMaxSemiSpaceMiB defaults in infra/main.bicep (languageWorkers__node__arguments)',
  };
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
