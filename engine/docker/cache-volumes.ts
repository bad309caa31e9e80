// RUN --mount=type=cache volumes as BuildKit's caches: one per id (and uid/gid/mode, which set a new
// cache's root), used together (shared), in turn (locked) or one per concurrent RUN (private).
import type Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { LockDirectory, waitForRelease, type Hold } from '../util/file-locks.js';
import { BuildContainer, buildLabels, type ContainerRegistry } from './container.js';
import { statusCodeOf } from './daemon.js';

/** What names a cache and how it is shared (a RUN --mount=type=cache, or a container spec's cache mount). */
export interface CacheVolumeMount {
  /** The cache's id; empty: its target names it. */
  id: string;
  target: string;
  /** `shared` (also the default), `private` or `locked`. */
  sharing?: string;
  uid?: number;
  gid?: number;
  mode?: number;
}

/** Label of the volumes msbuild creates for cache mounts (its value is the cache id). */
export const cacheMountLabel = 'io.msbuild.cache-mount';

/** uid, gid and mode of a cache's root, when the mount sets any of them (BuildKit's defaults for the rest). */
function rootOwner(mount: CacheVolumeMount): { uid: number; gid: number; mode: number } | undefined {
  if (mount.uid === undefined && mount.gid === undefined && mount.mode === undefined) return undefined;
  return { uid: mount.uid ?? 0, gid: mount.gid ?? 0, mode: mount.mode ?? 0o755 };
}

/**
 * Docker volume name of a cache mount: the same id (or target) always gets the same volume. A mount
 * with uid/gid/mode is a cache of its own, as in BuildKit (where it starts from a directory made with
 * them). Slots above 0 are the extra volumes `sharing=private` makes for concurrent users.
 */
export function cacheVolumeName(mount: CacheVolumeMount, slot = 0): string {
  const id = mount.id !== '' ? mount.id : mount.target;
  const owner = rootOwner(mount);
  const identity = owner ? `${id}\0${owner.uid}:${owner.gid}:${owner.mode.toString(8)}` : id;
  const base = `msbuild-cache-${createHash('sha256').update(identity).digest('hex').slice(0, 24)}`;
  return slot === 0 ? base : `${base}-${slot}`;
}

/**
 * How a RUN mounts a cache volume. NoCopy: a new cache starts empty, as in BuildKit (Docker would copy
 * the image's files at the target into it, with their directory's owner and mode). A volume Docker
 * creates on first use gets the label; the driver is the daemon's default.
 */
export function cacheVolumeOptions(mount: CacheVolumeMount): NonNullable<Docker.MountSettings['VolumeOptions']> {
  return {
    NoCopy: true,
    Labels: { [cacheMountLabel]: mount.id !== '' ? mount.id : mount.target },
    DriverConfig: { Name: '', Options: {} },
  };
}

/** The volume a RUN uses for a cache mount, held until released. */
export interface CacheLease {
  volume: string;
  release(): Promise<void>;
}

/** Concurrent users a cache id may have before private mounts refuse (each is a volume). */
const maxSlots = 256;
/** How often a locked mount looks again for a holder in another process (BuildKit polls at 100 ms too). */
const lockPollMs = 100;

async function firstFree(
  mount: CacheVolumeMount,
  take: (volume: string) => Promise<Hold | undefined>,
): Promise<CacheLease> {
  for (let slot = 0; slot < maxSlots; slot++) {
    const volume = cacheVolumeName(mount, slot);
    const hold = await take(volume);
    if (hold) return { volume, release: () => hold.release() };
  }
  throw new Error(`cache mount ${mount.id || mount.target}: more than ${maxSlots} concurrent users`);
}

/**
 * Takes the mount's volume per its sharing mode, as BuildKit picks a cache ref: `shared` joins the
 * volume's other shared users (another volume only while it is locked), `private` takes the first
 * volume no one uses (a new one when all are in use), `locked` waits until no one uses the first volume.
 */
export async function leaseCacheVolume(
  mount: CacheVolumeMount,
  locks: LockDirectory,
  signal: AbortSignal,
): Promise<CacheLease> {
  switch (mount.sharing) {
    case 'private':
      return firstFree(mount, (volume) => locks.tryExclusive(volume));
    case 'locked': {
      const volume = cacheVolumeName(mount);
      for (;;) {
        const hold = await locks.tryExclusive(volume);
        if (hold) return { volume, release: () => hold.release() };
        await waitForRelease(lockPollMs, signal);
      }
    }
    default:
      return firstFree(mount, (volume) => locks.tryShared(volume));
  }
}

/** A tar holding one directory entry: extracted onto a volume's mount point, it sets the volume root's owner and mode. */
function rootEntry(name: string, owner: { uid: number; gid: number; mode: number }): Readable {
  const pack = tarStream.pack();
  pack.entry({ name, type: 'directory', uid: owner.uid, gid: owner.gid, mode: owner.mode, mtime: new Date() });
  pack.finalize();
  return pack as unknown as Readable;
}

/**
 * Makes sure a cache mount with uid/gid/mode has its volume, with the root owned and moded as asked
 * when the volume is new (a cache in use keeps what its RUNs made of it). The root is set through a
 * never-started container from the RUN's image with the volume mounted. Without uid/gid/mode nothing is
 * needed: Docker makes a new volume's root 0755 root, BuildKit's default.
 */
export async function prepareCacheVolume(
  context: { docker: Docker; registry: ContainerRegistry; buildId: string },
  mount: CacheVolumeMount,
  volume: string,
  runImage: () => Promise<string | undefined>,
): Promise<void> {
  const owner = rootOwner(mount);
  if (!owner) return;
  const docker: Docker = context.docker;
  try {
    await docker.getVolume(volume).inspect();
    return;
  } catch (error) {
    if (statusCodeOf(error) !== 404) throw error;
  }
  // An empty scratch stage has no image to go through; its RUN cannot run anything anyway.
  const image = await runImage();
  if (image === undefined) return;
  await docker.createVolume({ Name: volume, Labels: cacheVolumeOptions(mount).Labels });
  const mountPoint = '/msbuild-cache-root';
  try {
    const container = await BuildContainer.create(
      docker,
      {
        Image: image,
        Cmd: ['/msbuild-never-runs'],
        Entrypoint: [],
        Labels: buildLabels(context.buildId),
        NetworkDisabled: true,
        HostConfig: {
          Mounts: [{ Type: 'volume', Source: volume, Target: mountPoint, VolumeOptions: cacheVolumeOptions(mount) }],
        },
      },
      context.registry,
    );
    try {
      await container.putArchive(rootEntry(mountPoint.slice(1), owner), '/');
    } finally {
      container.release();
    }
  } catch (error) {
    // A volume whose root was not set would look ready to the next build: remove it.
    await docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined);
    throw error;
  }
}

/**
 * Leases the cache volumes of a RUN, in name order so two RUNs that lock the same caches cannot each
 * wait for the other; a cache mounted twice by one RUN is leased once. `runImage` is the image the RUN
 * starts from (a new cache with uid/gid/mode has its root set through it).
 */
export async function leaseCacheVolumes(
  context: { docker: Docker; registry: ContainerRegistry; buildId: string; lockDir: string; signal: AbortSignal },
  caches: readonly CacheVolumeMount[],
  runImage: () => Promise<string | undefined>,
): Promise<{ volumes: Map<CacheVolumeMount, string>; release(): Promise<void> }> {
  const volumes = new Map<CacheVolumeMount, string>();
  const leases: CacheLease[] = [];
  const release = async () => void (await Promise.all(leases.map((lease) => lease.release())));
  if (caches.length === 0) return { volumes, release };
  const locks = new LockDirectory(context.lockDir);
  const byBase = new Map<string, CacheVolumeMount[]>();
  for (const mount of caches) {
    const base = cacheVolumeName(mount);
    byBase.set(base, [...(byBase.get(base) ?? []), mount]);
  }
  try {
    for (const base of [...byBase.keys()].sort()) {
      const group = byBase.get(base) as CacheVolumeMount[];
      const lease = await leaseCacheVolume(group[0], locks, context.signal);
      leases.push(lease);
      await prepareCacheVolume(context, group[0], lease.volume, runImage);
      for (const mount of group) volumes.set(mount, lease.volume);
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { volumes, release };
}
