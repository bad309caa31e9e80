// Daemon images read in place: an overlay2 image's layer dirs (`GraphDriver.Data`: UpperDir, then
// LowerDir top first) are the lowest layers of a RUN's overlay. While a build reads them, a created
// and never started container of the image holds them: dockerd refuses a plain `rmi`, and even
// `rmi -f` keeps the dirs until that container goes. The lease is one of the build's containers,
// removed with them at the end (and by the next build if this one is killed). A lease does not
// survive `docker container prune`: the dirs are checked before each mount, and a vanished one is
// a clear error, never half a filesystem.
import type Docker from 'dockerode';
import { access } from 'node:fs/promises';
import { BuildContainer, buildLabels, type ContainerRegistry } from '../docker/container.js';
import { statusCodeOf } from '../docker/daemon.js';
import { OciError } from './errors.js';

export interface ImageLayers {
  imageId: string;
  /** The image's layer dirs, newest first (empty for an image without layers). */
  dirs: string[];
}

/** The layer dirs of `image` from its inspect data; an OciError unless the driver is overlay2. */
export function layerDirsOf(inspect: {
  Id: string;
  GraphDriver?: { Name?: string; Data?: Record<string, string> | null };
  RootFS?: { Layers?: string[] };
}): string[] {
  const driver = inspect.GraphDriver?.Name ?? '';
  if ((inspect.RootFS?.Layers ?? []).length === 0) return [];
  if (driver !== 'overlay2')
    throw new OciError(
      'OCI_BASE',
      `image ${inspect.Id.slice(7, 19)} is stored by the ${driver || 'unknown'} driver, not overlay2`,
    );
  const data = inspect.GraphDriver?.Data ?? {};
  const upper = data.UpperDir;
  if (!upper) throw new OciError('OCI_BASE', `image ${inspect.Id.slice(7, 19)} has no overlay2 UpperDir`);
  const lowers = data.LowerDir ? data.LowerDir.split(':').filter((dir) => dir !== '') : [];
  return [upper, ...lowers];
}

/** Fails clearly when a layer dir of a leased image is gone (a container prune took the lease). */
export async function checkLayerDirs(layers: ImageLayers, description: string): Promise<void> {
  for (const dir of layers.dirs) {
    try {
      await access(dir);
    } catch {
      throw new OciError(
        'OCI_BASE_GONE',
        `the layers of ${description} (${layers.imageId.slice(7, 19)}) were removed from the daemon while this build read them (${dir} is gone): was \`docker container prune\` or \`docker system prune\` run? Build again.`,
      );
    }
  }
}

/** The leases of one build: one never-started container per image, owned by the build's registry. */
export class ImageLeases {
  private readonly held = new Map<string, Promise<ImageLayers>>();

  constructor(
    private readonly docker: Docker,
    private readonly registry: ContainerRegistry,
    private readonly buildId: string,
  ) {}

  /** Leases `imageId` (once per build) and returns its layer dirs. */
  layers(imageId: string): Promise<ImageLayers> {
    let pending = this.held.get(imageId);
    if (!pending) {
      pending = this.lease(imageId);
      pending.catch(() => this.held.delete(imageId));
      this.held.set(imageId, pending);
    }
    return pending;
  }

  private async lease(imageId: string): Promise<ImageLayers> {
    // The lease first: between an inspect and a lease the image could go.
    try {
      await BuildContainer.create(
        this.docker,
        {
          Image: imageId,
          Cmd: ['/msbuild-lease-never-runs'],
          Entrypoint: [],
          Labels: buildLabels(this.buildId),
          NetworkDisabled: true,
        },
        this.registry,
      );
    } catch (error) {
      if (statusCodeOf(error) === 404)
        throw new OciError('OCI_BASE_GONE', `image ${imageId.slice(7, 19)} is no longer in the daemon`, {
          cause: error,
        });
      throw error;
    }
    const inspect = (await this.docker.getImage(imageId).inspect()) as unknown as Parameters<typeof layerDirsOf>[0];
    const layers = { imageId, dirs: layerDirsOf(inspect) };
    await checkLayerDirs(layers, `image ${imageId.slice(7, 19)}`);
    return layers;
  }
}
