// `cache export --mounts` / `cache import --mounts`: the contents of RUN --mount=type=cache volumes
// carried between machines (moby/buildkit#1474; BuildKit cannot). Each volume is read and written
// through a container that never starts (the daemon mounts its volumes for the archive API), made
// from a one-layer carrier image; volumes keep their names (derived from the cache id), so a build
// on the other machine finds them. DIR/mounts holds one tar per volume and an index. The OCI worker
// keeps its cache mounts as plain dirs of the same names (`<cache>/oci/cache-mounts/NAME`): an
// export takes those the daemon has no volume for, and an import fills both, so either worker finds them.
import type Docker from 'dockerode';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract as extractDir, pack as packDir } from 'tar-fs';
import { MsbuildError } from '../errors.js';

import { emptyImageConfig, historyComment, imageIdOf, type ImageConfig } from '../image/config.js';
import { writeLayer } from '../image/layer.js';

import { writeFileAtomic } from '../util/atomic-file.js';
import { createTempDir, removeTempDir } from '../util/temp-dirs.js';
import { cacheMountLabel } from './cache-volumes.js';
import { BuildContainer, ContainerRegistry, buildLabels } from './container.js';
import { daemonArchitecture, statusCodeOf } from './daemon.js';
import { inspectImage } from './images.js';
import { loadImage } from './load.js';

const carrierTag = 'msbuild/cache-carrier:1';
const mountPoint = '/cache';

interface MountIndex {
  version: 1;
  volumes: Array<{ name: string; id: string; file: string }>;
}

/** A tiny image to create carrier containers from (they never start, so the entrypoint is never run). */
async function ensureCarrierImage(docker: Docker): Promise<string> {
  const dir = await createTempDir('carrier');
  try {
    const layer = await writeLayer([], join(dir, 'layer.tar'));
    const base = emptyImageConfig({ os: 'linux', architecture: await daemonArchitecture(docker) });
    const created = new Date(0).toISOString();
    const config: ImageConfig = {
      ...base,
      created,
      config: { ...base.config, Entrypoint: ['/carrier'] },
      history: [{ created, created_by: 'msbuild cache mount carrier', comment: historyComment }],
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    };
    const id = imageIdOf(config);
    if (await inspectImage(docker, id)) return id;
    return await loadImage(docker, {
      config,
      newLayers: [{ diffId: layer.diffId, path: layer.path }],
      tags: [carrierTag],
    });
  } finally {
    await removeTempDir(dir);
  }
}

async function withCarrier<T>(
  docker: Docker,
  volume: string,
  work: (container: BuildContainer) => Promise<T>,
): Promise<T> {
  const registry = new ContainerRegistry();
  try {
    const image = await ensureCarrierImage(docker);
    const container = await BuildContainer.create(
      docker,
      {
        Image: image,
        Labels: buildLabels('cache-mounts'),
        NetworkDisabled: true,
        HostConfig: {
          Mounts: [
            {
              Type: 'volume',
              Source: volume,
              Target: mountPoint,
              VolumeOptions: { NoCopy: true, Labels: {}, DriverConfig: { Name: '', Options: {} } },
            },
          ],
        },
      },
      registry,
    );
    return await work(container);
  } finally {
    await registry.removeAll();
  }
}

/** The cache mount volumes msbuild made on this daemon: name and cache id. */
async function cacheVolumes(docker: Docker): Promise<Array<{ name: string; id: string }>> {
  const listed = await docker.listVolumes({ filters: { label: [cacheMountLabel] } });
  return (listed.Volumes ?? [])
    .map((volume) => ({ name: volume.Name, id: volume.Labels?.[cacheMountLabel] ?? '' }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const volumeName = /^msbuild-cache-[0-9a-f]+(-\d+)?$/;

/** The OCI worker's cache mount dirs under `root` that no volume of the daemon has the name of. */
async function localOnly(root: string | undefined, volumes: ReadonlyArray<{ name: string }>): Promise<string[]> {
  if (root === undefined) return [];
  const names = new Set(volumes.map((volume) => volume.name));
  return (await readdir(root).catch(() => [] as string[])).filter((name) => volumeName.test(name) && !names.has(name));
}

/**
 * Writes every cache mount volume to DIR/mounts (replacing what an earlier export left there), and
 * the dirs under `localRoot` (the OCI worker's) the daemon has no volume for, in the same layout.
 */
export async function exportCacheMounts(
  docker: Docker,
  dir: string,
  options: { localRoot?: string } = {},
): Promise<{ volumes: number }> {
  const target = join(dir, 'mounts');
  await mkdir(target, { recursive: true });
  const volumes = await cacheVolumes(docker);
  const index: MountIndex = { version: 1, volumes: [] };
  for (const volume of volumes) {
    const file = `${volume.name}.tar`;
    const partial = join(target, `.${file}.partial`);
    await withCarrier(docker, volume.name, async (container) => {
      await pipeline(await container.getArchive(mountPoint), createWriteStream(partial));
    });
    await rename(partial, join(target, file));
    index.volumes.push({ ...volume, file });
  }
  for (const name of await localOnly(options.localRoot, volumes)) {
    const file = `${name}.tar`;
    const partial = join(target, `.${file}.partial`);
    // The archive API's layout: every path under the mount point's own name.
    const source = packDir(join(options.localRoot ?? '', name), {
      map: (header) => ({
        ...header,
        name: header.name === '.' ? mountPoint.slice(1) : `${mountPoint.slice(1)}/${header.name}`,
      }),
    });
    await pipeline(source, createWriteStream(partial));
    await rename(partial, join(target, file));
    index.volumes.push({ name, id: '', file });
  }
  await writeFileAtomic(join(target, 'index.json'), JSON.stringify(index));
  const kept = new Set(['index.json', ...index.volumes.map((volume) => volume.file)]);
  for (const name of await readdir(target)) if (!kept.has(name)) await rm(join(target, name), { force: true });
  return { volumes: index.volumes.length };
}

/** Creates (or adds to) each volume of DIR/mounts on this daemon, and each dir under `localRoot` when given. */
export async function importCacheMounts(
  docker: Docker,
  dir: string,
  options: { localRoot?: string } = {},
): Promise<{ volumes: number }> {
  let index: MountIndex;
  try {
    index = JSON.parse(await readFile(join(dir, 'mounts', 'index.json'), 'utf8')) as MountIndex;
  } catch (error) {
    throw new CacheMountsError(
      `no cache mounts in ${dir}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'export them with msbuild cache export --mounts' : (error as Error).message}`,
    );
  }
  for (const volume of index.volumes) {
    if (!volumeName.test(volume.name) || volume.file !== `${volume.name}.tar`)
      throw new CacheMountsError(`${dir}/mounts/index.json names a volume msbuild did not make: ${volume.name}`);
    try {
      await docker.getVolume(volume.name).inspect();
    } catch (error) {
      if (statusCodeOf(error) !== 404) throw error;
      await docker.createVolume({ Name: volume.name, Labels: { [cacheMountLabel]: volume.id } });
    }
    await withCarrier(docker, volume.name, (container) =>
      container.putArchive(createReadStream(join(dir, 'mounts', volume.file)), '/'),
    );
    if (options.localRoot !== undefined) {
      await mkdir(options.localRoot, { recursive: true });
      const prefix = `${mountPoint.slice(1)}/`;
      // tar-fs maps a header before asking whether to ignore it: what is not under the mount point's
      // name is marked while mapped, then ignored.
      const outside = new WeakSet<object>();
      await pipeline(
        createReadStream(join(dir, 'mounts', volume.file)),
        extractDir(join(options.localRoot, volume.name), {
          map: (header) => {
            const inside = header.name === prefix.slice(0, -1) || header.name.startsWith(prefix);
            const mapped = { ...header, name: header.name.slice(prefix.length) || '.' };
            if (!inside) outside.add(mapped);
            return mapped;
          },
          ignore: (_name, header) => header === undefined || outside.has(header),
        }),
      );
    }
  }
  return { volumes: index.volumes.length };
}

export class CacheMountsError extends MsbuildError {
  override readonly name = 'CacheError';
  override readonly code = 'MSBUILD_CACHE_MOUNTS';
}
