// The check interrupt and fault tests make of the cache index after a build was cut short: no file
// that is not a whole entry (CacheStore.verify sees what list() skips), and every entry's image exists
// (or, on the OCI worker, its snapshot and that snapshot's chain).
import type { ExecutionContext } from 'ava';
import type Docker from 'dockerode';
import { join } from 'node:path';
import { CacheStore } from '../../engine/cache/store.js';
import { SnapshotStore } from '../../engine/oci/snapshots.js';
import { docker } from './docker.js';

export async function assertIndexValid(t: ExecutionContext, cacheDir: string, daemon: Docker = docker): Promise<void> {
  const { entries, broken } = await new CacheStore(cacheDir).verify();
  t.deepEqual(broken, [], 'no broken entry');
  for (const entry of entries) {
    if (entry.imageId.startsWith('oci:')) {
      const chain = await new SnapshotStore(join(cacheDir, 'oci')).chain(entry.imageId.slice(4));
      t.truthy(chain, `the snapshot of ${entry.step} (${entry.imageId}) and its chain exist`);
      continue;
    }
    const exists = await daemon
      .getImage(entry.imageId)
      .inspect()
      .then(
        () => true,
        () => false,
      );
    t.true(exists, `the image of ${entry.step} (${entry.imageId}) exists`);
  }
}

/**
 * Removes the images a test's cache directory points at, and the msbuild-made parents they hang
 * from (commits labelled io.msbuild.build), children first, for test files that run builds on their
 * own cache directory: a prune leaves images whose children it removed after them.
 */
export async function removeCachedImages(cacheDir: string, daemon: Docker = docker): Promise<void> {
  const { entries } = await new CacheStore(cacheDir).verify();
  const ids = new Set<string>();
  const visit = async (id: string | undefined): Promise<void> => {
    if (!id || ids.has(id)) return;
    const info = await daemon
      .getImage(id)
      .inspect()
      .catch(() => undefined);
    if (!info) return;
    const made = info.Config?.Labels?.['io.msbuild.build'] !== undefined || (info.RepoTags ?? []).length === 0;
    if (!made) return;
    ids.add(info.Id);
    if (info.Parent) await visit(info.Parent);
  };
  for (const entry of entries) {
    await visit(entry.imageId);
    await visit(entry.configImageId);
  }
  for (let left = [...ids]; left.length > 0;) {
    const still: string[] = [];
    for (const id of left) {
      await daemon
        .getImage(id)
        .remove({ force: true })
        .catch(() => still.push(id));
    }
    if (still.length === left.length) break;
    left = still;
  }
}
