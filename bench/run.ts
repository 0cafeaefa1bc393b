import { run as runPhones } from './phones';
import { run as runRisk } from './risk';
import { run as runSync } from './sync';

/**
 * `npm run bench` (full sizes) and `npm run bench:smoke` (CI sizes): runs every benchmark on the Graph sandbox and
 * prints one JSON document. Progress goes to stderr so stdout stays machine-readable.
 */
const benches = { sync: runSync, phones: runPhones, risk: runRisk } as const;

async function main(): Promise<void> {
  const smoke = process.argv.includes('--smoke');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const results: Record<string, unknown> = { mode: smoke ? 'smoke' : 'full', node: process.version };
  for (const [name, run] of Object.entries(benches)) {
    if (only && only !== name) continue;
    log(`bench ${name} (${smoke ? 'smoke' : 'full'})`);
    results[name] = await run({ smoke, log });
  }
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
