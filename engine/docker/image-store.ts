// The daemon's images through the Engine API (the ImageStore of the worker boundary): presence and
// sizes asked once per image per build, tags, `docker save`, `docker load`, and base images by
// reference, pulled per policy. The only dockerode image calls outside this folder's helpers.
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { withTimeout } from '../util/timeout.js';
import {
  ImageTransferError,
  type ImageInventory,
  type ImageStore,
  type LoadRequest,
  type RegistryTransfer,
} from '../worker/image-store.js';
import { ImagePullError, type PullPolicy, type ResolvedImage } from '../worker/worker.js';
import { ImageCatalog } from './catalog.js';
import { daemonId } from './daemon-identity.js';
import { checkDaemon, connectDocker, daemonMessage } from './daemon.js';
import { inspectImage, readImageConfig, removeImage, tagImage } from './images.js';
import { loadImage } from './load.js';
import { pullThroughDaemon, pushThroughDaemon } from './registry-transfer.js';

/** The images of the daemon at DOCKER_HOST, once it answers (within `withinMs`: the cache tools' way in). */
export async function connectImageStore(
  options: { docker?: Docker; withinMs?: number } = {},
): Promise<DockerImageStore> {
  const docker = options.docker ?? connectDocker();
  await checkDaemon(docker, options.withinMs);
  return new DockerImageStore(docker);
}

/** True when the daemon says an image is someone's: a tag or a digest reference. */
function isReferenced(image: { RepoTags?: string[] | null; RepoDigests?: string[] | null }): boolean {
  const named = (references: string[] | null | undefined) =>
    (references ?? []).some((reference) => !reference.startsWith('<none>'));
  return named(image.RepoTags) || named(image.RepoDigests);
}

export class DockerImageStore implements ImageStore {
  private readonly catalog: ImageCatalog;
  private id: Promise<string> | undefined;

  constructor(
    readonly docker: Docker,
    /** Where the daemon's identity is remembered between processes (see daemon-identity.ts). */
    private readonly identityMemo?: string,
  ) {
    this.catalog = new ImageCatalog(docker);
  }

  identity(): Promise<string> {
    this.id ??= daemonId(this.docker, this.identityMemo);
    return this.id;
  }

  async inventory(): Promise<ImageInventory> {
    const images = await this.docker.listImages({ all: true });
    return {
      present: new Set(images.map((image) => image.Id)),
      tagged: new Set(images.filter(isReferenced).map((image) => image.Id)),
    };
  }

  async isTagged(id: string): Promise<boolean> {
    try {
      return isReferenced(await this.docker.getImage(id).inspect());
    } catch {
      // Gone already (nothing to remove), or the daemon did not answer: not removed either way.
      return true;
    }
  }

  has(id: string): Promise<boolean> {
    return this.catalog.has(id);
  }

  confirm(id: string, withinMs: number): Promise<boolean> {
    return withTimeout(inspectImage(this.docker, id), withinMs, () => new Error('no answer')).then(
      (found) => found !== undefined,
      () => false,
    );
  }

  size(id: string): Promise<number> {
    return this.catalog.size(id);
  }

  tag(id: string, reference: string): Promise<void> {
    return tagImage(this.docker, id, reference);
  }

  remove(id: string): Promise<void> {
    return removeImage(this.docker, id);
  }

  async save(ids: readonly string[]): Promise<Readable> {
    if (ids.length === 1) return (await this.docker.getImage(ids[0]).get()) as unknown as Readable;
    // dockerode has `getImages` (GET /images/get?names=...) but its type definitions lack it.
    const save = (
      this.docker as unknown as { getImages(options: { names: string[] }): Promise<Readable> }
    ).getImages.bind(this.docker);
    return save({ names: [...ids] });
  }

  load(request: LoadRequest, signal?: AbortSignal): Promise<string> {
    return loadImage(this.docker, request, signal);
  }

  push(reference: string, transfer: RegistryTransfer): Promise<{ digest: string }> {
    return pushThroughDaemon(this.docker, reference, transfer);
  }

  pull(reference: string, transfer: RegistryTransfer): Promise<void> {
    return pullThroughDaemon(this.docker, reference, transfer);
  }

  /** A base image by reference: the daemon's copy, else pulled (per `pull`); undefined when there is none. */
  async resolve(ref: string, pull: PullPolicy): Promise<ResolvedImage | undefined> {
    let found = pull === 'always' ? undefined : await readImageConfig(this.docker, ref);
    if (!found && pull !== 'never') {
      await this.pull(ref, {}).catch((error: unknown) => {
        const reason = error instanceof ImageTransferError ? error.message : daemonMessage(error);
        throw new ImagePullError(ref, reason, { cause: error });
      });
      found = await readImageConfig(this.docker, ref);
    }
    return found;
  }
}
