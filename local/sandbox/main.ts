/**
 * CLI: `node dist/local/sandbox/main.js` (env GRAPH_SANDBOX_PORT, default 7072; GRAPH_SANDBOX_TENANT, a tenant JSON
 * path, default local/tenants/demo.json). Stops on SIGINT/SIGTERM.
 */
import { startGraphSandbox } from './index';

async function main(): Promise<void> {
  const rawPort = process.env.GRAPH_SANDBOX_PORT ?? '7072';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`GRAPH_SANDBOX_PORT must be a port number, got '${rawPort}'.`);
  const sandbox = await startGraphSandbox({ port, tenant: process.env.GRAPH_SANDBOX_TENANT || undefined });
  process.stdout.write(`Graph sandbox listening at ${sandbox.url}/v1.0 (control routes at ${sandbox.url}/_sandbox/)\n`);
  const stop = (): void => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
