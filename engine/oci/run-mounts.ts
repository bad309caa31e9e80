// A container spec's mounts as runc mounts: host binds (prepared bind sources, secret files) as
// rbind, tmpfs as BuildKit mounts them (nosuid, size when given), cache mounts as directories in
// the state dir (`cache-mounts/<name>`, the same names and sharing rules as the Docker worker's
// volumes: shared, locked, or one per concurrent RUN), and a heredoc script as a read-only file at
// its path under /dev (a tmpfs: it never reaches the layer).
import { chmod, chown, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheVolumeName, leaseCacheVolume, type CacheLease } from '../docker/cache-volumes.js';
import { LockDirectory } from '../util/file-locks.js';
import type { CacheMount, ContainerSpec } from '../worker/container-spec.js';
import type { SpecMount } from './spec.js';

export interface PreparedRunMounts {
  mounts: SpecMount[];
  release(): Promise<void>;
}

let scripts = 0;
let madeDirs = 0;

/**
 * A new cache dir with the mount's root owner and mode (BuildKit's default: root, 0755). Made under
 * a name of its own and renamed into place: two RUNs of one build may make the same cache at once.
 */
async function makeCacheDir(dir: string, mount: CacheMount): Promise<void> {
  if (
    await stat(dir).then(
      () => true,
      () => false,
    )
  )
    return;
  const made = `${dir}.new-${process.pid}-${madeDirs++}`;
  await mkdir(made, { recursive: true });
  await chown(made, mount.uid ?? 0, mount.gid ?? 0);
  await chmod(made, mount.mode ?? 0o755);
  await rename(made, dir).catch(async () => rm(made, { recursive: true, force: true }));
}

export async function prepareRunMounts(
  spec: ContainerSpec,
  context: { stateDir: string; lockDir: string; scratchDir: string; signal: AbortSignal },
): Promise<PreparedRunMounts> {
  const mounts: SpecMount[] = [];
  const leases: CacheLease[] = [];
  const files: string[] = [];
  const release = async () => {
    await Promise.all(leases.map((lease) => lease.release()));
    await Promise.all(files.map((file) => rm(file, { force: true })));
  };
  try {
    const caches = spec.mounts.filter((mount): mount is CacheMount => mount.type === 'cache');
    const dirs = new Map<string, string>();
    const locks = new LockDirectory(context.lockDir);
    // In name order, so two RUNs locking the same caches cannot each wait for the other.
    for (const mount of [...caches].sort((a, b) => cacheVolumeName(a).localeCompare(cacheVolumeName(b)))) {
      const base = cacheVolumeName(mount);
      if (dirs.has(base)) continue;
      const lease = await leaseCacheVolume(mount, locks, context.signal);
      leases.push(lease);
      const dir = join(context.stateDir, 'cache-mounts', lease.volume);
      await makeCacheDir(dir, mount);
      dirs.set(base, dir);
    }
    for (const mount of spec.mounts) {
      if (mount.type === 'bind')
        mounts.push({
          destination: mount.target,
          type: 'bind',
          source: mount.source,
          options: ['rbind', mount.readOnly ? 'ro' : 'rw'],
        });
      else if (mount.type === 'tmpfs')
        mounts.push({
          destination: mount.target,
          type: 'tmpfs',
          source: 'tmpfs',
          options: ['nosuid', ...(mount.sizeLimit > 0 ? [`size=${mount.sizeLimit}`] : [])],
        });
      else
        mounts.push({
          destination: mount.target,
          type: 'bind',
          source: dirs.get(cacheVolumeName(mount)) as string,
          options: ['rbind', mount.readOnly ? 'ro' : 'rw'],
        });
    }
    if (spec.script) {
      const file = join(context.scratchDir, `script-${process.pid}-${scripts++}`);
      await writeFile(file, spec.script.data, { mode: 0o755 });
      await chmod(file, 0o755);
      files.push(file);
      mounts.push({ destination: spec.script.path, type: 'bind', source: file, options: ['rbind', 'ro'] });
    }
    return { mounts, release };
  } catch (error) {
    await release();
    throw error;
  }
}
