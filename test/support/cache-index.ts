// The check interrupt and fault tests make of the cache index after a build was cut short: no file
// that is not a whole entry (CacheStore.verify sees what list() skips), and every entry's image exists.
import type { ExecutionContext } from 'ava';
import type Docker from 'dockerode';
import { CacheStore } from '../../engine/cache/store.js';
import { docker } from './docker.js';

export async function assertIndexValid(t: ExecutionContext, cacheDir: string, daemon: Docker = docker): Promise<void> {
  const { entries, broken } = await new CacheStore(cacheDir).verify();
  t.deepEqual(broken, [], 'no broken entry');
  for (const entry of entries) {
    const exists = await daemon.getImage(entry.imageId).inspect().then(() => true, () => false);
    t.true(exists, `the image of ${entry.step} (${entry.imageId}) exists`);
  }
}
