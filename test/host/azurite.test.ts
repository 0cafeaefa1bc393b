import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

import { startAzurite } from '../../local/azurite';
import { useAzurite } from '../helpers/azurite';

describe('startAzurite', () => {
  const azurite = useAzurite();

  it('serves blobs, queues and tables through the connection string it returns', async () => {
    const { connectionString } = azurite.current;
    const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('probe');
    await container.createIfNotExists();
    await container.getBlockBlobClient('a.txt').upload('hello', 5);
    expect((await container.getBlockBlobClient('a.txt').downloadToBuffer()).toString()).toBe('hello');

    const queue = new QueueClient(connectionString, 'probe');
    await queue.createIfNotExists();
    await queue.sendMessage('m1');
    expect((await queue.receiveMessages()).receivedMessageItems[0]?.messageText).toBe('m1');

    const table = TableClient.fromConnectionString(connectionString, 'probe', { allowInsecureConnection: true });
    await table.createTable();
    await table.upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 1 });
    expect((await table.getEntity<{ value: number }>('p', 'r')).value).toBe(1);
  });

  it('reports three distinct ports chosen by the OS', () => {
    const { blobPort, queuePort, tablePort } = azurite.current;
    expect(new Set([blobPort, queuePort, tablePort]).size).toBe(3);
    for (const port of [blobPort, queuePort, tablePort]) expect(port).toBeGreaterThan(0);
  });

  it('keeps data across a restart when persisting to a location', async () => {
    const location = mkdtempSync(join(tmpdir(), 'azurite-'));
    try {
      const first = await startAzurite({ inMemory: false, location });
      const container = BlobServiceClient.fromConnectionString(first.connectionString).getContainerClient('kept');
      await container.createIfNotExists();
      await container.getBlockBlobClient('x.txt').upload('persisted', 9);
      await first.stop();

      const second = await startAzurite({ inMemory: false, location });
      try {
        const again = BlobServiceClient.fromConnectionString(second.connectionString).getContainerClient('kept');
        expect((await again.getBlockBlobClient('x.txt').downloadToBuffer()).toString()).toBe('persisted');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(location, { recursive: true, force: true });
    }
  });

  it("fails with Azurite's own message when a port is taken", async () => {
    const { blobPort } = azurite.current;
    await expect(startAzurite({ ports: { blob: blobPort } })).rejects.toThrow(/EADDRINUSE|exited before it was ready/);
  });

  it('stops the process and frees its ports', async () => {
    const instance = await startAzurite();
    const up = () =>
      fetch(`http://127.0.0.1:${instance.blobPort}/devstoreaccount1?comp=list`).then(
        () => true,
        () => false,
      );
    expect(await up()).toBe(true);
    await instance.stop();
    expect(await up()).toBe(false);
    await instance.stop();
  });

  it('shuts Azurite down when the process that started it dies', async () => {
    // The parent is a plain node process running local/azurite.ts transpiled to CommonJS, so it can be SIGKILLed.
    const dir = mkdtempSync(join(tmpdir(), 'azurite-parent-'));
    try {
      const source = readFileSync(join(__dirname, '../../local/azurite.ts'), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(join(dir, 'azurite.js'), outputText);
      const script = `require('./azurite.js').startAzurite().then((a) => process.stdout.write(a.blobPort + '\\n'));`;
      const parent = spawn(process.execPath, ['-e', script], {
        cwd: dir,
        env: { ...process.env, NODE_PATH: join(__dirname, '../../node_modules') },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const blobPort = await new Promise<number>((done, fail) => {
        parent.stdout.once('data', (b: Buffer) => done(Number(b.toString().trim())));
        parent.once('exit', (code) => fail(new Error(`parent exited early with ${code}`)));
      });
      const up = () =>
        fetch(`http://127.0.0.1:${blobPort}/devstoreaccount1?comp=list`).then(
          () => true,
          () => false,
        );
      expect(await up()).toBe(true);

      parent.kill('SIGKILL');
      const deadline = Date.now() + 20_000;
      let stillUp = true;
      while (stillUp && Date.now() < deadline) {
        stillUp = await up();
        if (stillUp) await new Promise((r) => setTimeout(r, 100));
      }
      expect(stillUp).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
