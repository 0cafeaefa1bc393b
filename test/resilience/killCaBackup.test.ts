import { afterAll, describe, expect, it } from 'vitest';

import { getServices } from '../../shared/runtime/services';
import { CA_BACKUP_CONTAINER } from '../../shared/storage/caBackupStore';
import { useCaHarness } from '../conditional-access/harness';
import { killChildren, type KillScenario } from './killHarness';
import { KILL_TEST_TIMEOUT_MS, killAndRerun, KILLS } from './killRun';

/**
 * The Conditional Access backup killed at KILLS points: while policies, named locations and authentication strengths
 * are read, while their content-addressed objects are stored, as the manifest is written. Recovered as production
 * recovers: the next timer tick takes a new backup. Every manifest must be whole (each object it names is stored) and
 * the latest one must hold exactly what a clean run's does; an object is never stored twice.
 */
const harness = useCaHarness();
afterAll(killChildren);

interface Manifest {
  backupId: string;
  entries: { kind: string; id: string; sha256: string }[];
  sidecar: { sha256: string };
}

async function stored(): Promise<{ manifests: Manifest[]; objects: string[] }> {
  const container = await getServices().storage.container(CA_BACKUP_CONTAINER);
  const manifests: Manifest[] = [];
  const objects: string[] = [];
  for await (const b of container.listBlobsFlat()) {
    if (b.name.startsWith('objects/')) objects.push(b.name);
    else if (b.name.endsWith('/manifest.json'))
      manifests.push(JSON.parse((await container.getBlobClient(b.name).downloadToBuffer()).toString('utf8')) as Manifest);
  }
  return { manifests: manifests.sort((a, b) => a.backupId.localeCompare(b.backupId)), objects: objects.sort() };
}

let manifestsBefore = 0;
const backupDone = async () => (await stored()).manifests.length > 0;

interface BackupSnapshot {
  readonly latest: string[];
  readonly objects: string[];
  /** Objects a manifest names that are not stored (must be none). */
  readonly missing: string[];
}

const scenario: KillScenario<BackupSnapshot> = {
  name: 'ca-backup',
  targets: ['graph', 'storage'],
  functions: ['caBackupTimer'],
  setup: async () => undefined,
  start: (child) => child.invoke('caBackupTimer'),
  recovery: [
    {
      clockMinutes: 40,
      run: async (child) => {
        manifestsBefore = (await stored()).manifests.length;
        await child.invoke('caBackupTimer');
      },
      // The next tick has written its own backup.
      settled: async () => (await stored()).manifests.length > manifestsBefore,
    },
  ],
  done: backupDone,
  async snapshot() {
    const { manifests, objects } = await stored();
    const have = new Set(objects);
    const latest = manifests.at(-1);
    return {
      latest: (latest?.entries ?? []).map((e) => `${e.kind} ${e.id} ${e.sha256}`).sort(),
      objects,
      missing: manifests.flatMap((m) =>
        [...m.entries.map((e) => e.sha256), m.sidecar.sha256].filter((h) => !have.has(`objects/${h}.json`)),
      ),
    };
  },
  items: (s) => s.latest,
};

describe('Conditional Access backup killed and re-run', () => {
  it(
    `leaves whole backups and the clean run's latest backup from ${KILLS} kill points`,
    async () => {
      const figures = await killAndRerun(scenario, harness.current, {});
      expect(figures.duplicateWrites).toBe(0);
      expect(figures.lost).toBe(0);
      expect(figures.runsKilled).toBe(KILLS);
    },
    KILL_TEST_TIMEOUT_MS,
  );
});
