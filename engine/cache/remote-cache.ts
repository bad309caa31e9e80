// Registry caches read by a build (`--cache-from type=registry,ref=REF`, or an image whose config
// carries an inline cache): their entries are hits like local ones, but their images are made only
// when something needs them (a later step runs on one, a COPY --from reads it, it is the target), and
// then only the layers the daemon lacks are fetched. An entry exported without layers (mode=min,
// another stage) cannot be made: asking for it throws LayersUnavailableError, and the build runs again
// without such entries.
import { MsbuildError } from '../errors.js';
import type { TransferEvent } from '../events.js';
import { imageIdOf } from '../image/config.js';
import type { Registries, Repository } from '../registry/client.js';
import { RegistryError } from '../registry/errors.js';
import { parseReference } from '../registry/reference.js';
import type { ImageStore } from '../worker/image-store.js';
import {
  cacheIndexMediaType,
  indexProblem,
  inlineCacheField,
  type LayerBlob,
  type RemoteIndex,
} from './remote-format.js';
import type { CacheEntry, CacheStore } from './store.js';

/** A registry cache entry's image cannot be made: its layers were not exported. */
export class LayersUnavailableError extends MsbuildError {
  override readonly name = 'LayersUnavailableError';
  override readonly code = 'MSBUILD_CACHE_LAYERS_UNAVAILABLE';

  /** The LayersUnavailableError behind a failure (as its cause, at any depth), if that is what it is. */
  static behind(error: unknown): LayersUnavailableError | undefined {
    for (let e = error; e instanceof Error; e = e.cause) if (e instanceof LayersUnavailableError) return e;
    return undefined;
  }
}

interface Source {
  ref: string;
  repository: Repository;
  blobs: Record<string, LayerBlob>;
}

interface RemoteEntry {
  entry: CacheEntry;
  layers: boolean;
  source: Source;
}

export interface RemoteCacheOptions {
  images: ImageStore;
  registries: Registries;
  store: CacheStore;
  emit: (event: TransferEvent) => void;
  warn: (message: string) => void;
}

/** Reads a cache reference: an msbuild cache artifact, or an image with an inline cache. */
/** A cache index read from the registry (undefined: no such ref there). */
export type IndexRead = Promise<{ index: RemoteIndex; source: Source } | undefined>;

/**
 * Starts reading the indexes of `refs` now (a build does while its worker starts); a failure is
 * reported when RemoteCache.open takes the read, as if it had started it.
 */
export function startIndexReads(registries: Registries, refs: readonly string[]): Map<string, IndexRead> {
  const reads = new Map<string, IndexRead>();
  for (const ref of refs) {
    const read = readIndex(registries, ref);
    read.catch(() => undefined);
    reads.set(ref, read);
  }
  return reads;
}

async function readIndex(registries: Registries, ref: string): IndexRead {
  const parsed = parseReference(ref);
  const repository = registries.repository(parsed);
  const manifest = await repository.manifest(parsed.digest ?? parsed.tag ?? 'latest');
  if (!manifest) return undefined;
  const body = JSON.parse(manifest.bytes.toString('utf8')) as {
    config?: { mediaType?: string; digest: string };
    layers?: Array<{ mediaType: string; digest: string; size: number }>;
  };
  if (!body.config || !Array.isArray(body.layers))
    throw new RegistryError(`cache ${ref} is a ${manifest.mediaType}, neither an msbuild cache nor an image`, 'cache');
  const configBytes = await repository.blobBytes(body.config.digest);
  let index: unknown;
  const blobs: Record<string, LayerBlob> = {};
  if (body.config.mediaType === cacheIndexMediaType) {
    index = JSON.parse(configBytes.toString('utf8'));
  } else {
    // An image: its inline cache, and its own layers as the blobs.
    const config = JSON.parse(configBytes.toString('utf8')) as Record<string, unknown> & {
      rootfs?: { diff_ids?: string[] };
    };
    const inline = config[inlineCacheField];
    if (typeof inline !== 'string') throw new RegistryError(`image ${ref} carries no msbuild inline cache`, 'cache');
    index = JSON.parse(Buffer.from(inline, 'base64').toString('utf8'));
    (config.rootfs?.diff_ids ?? []).forEach((diffId, i) => {
      const layer = body.layers?.[i];
      if (layer) blobs[diffId] = { digest: layer.digest, size: layer.size, mediaType: layer.mediaType };
    });
  }
  const problem = indexProblem(index);
  if (problem) throw new RegistryError(`cache ${ref} is not usable: ${problem}`, 'cache');
  const usable = index as RemoteIndex;
  return { index: usable, source: { ref, repository, blobs: { ...usable.blobs, ...blobs } } };
}

export class RemoteCache {
  private readonly entries = new Map<string, RemoteEntry>();
  /** Image ID (once loaded) → the entry it comes from. */
  private readonly images = new Map<string, RemoteEntry>();
  private readonly made = new Map<string, Promise<void>>();
  /** Layer chains the daemon has (base images, images made): a load sends only what follows. */
  private readonly chains: string[][] = [];
  readonly fromDigests = new Map<string, string>();

  private constructor(
    private readonly options: RemoteCacheOptions,
    /** Records without layers are left out (the build runs again this way when one was needed). */
    private readonly layersOnly: boolean,
  ) {}

  /** Reads every reference; one that does not exist yet is a warning (the first CI run has none). */
  static async open(
    refs: readonly string[],
    options: RemoteCacheOptions,
    layersOnly = false,
    /** Reads already started (startIndexReads); the others start here. */
    started: ReadonlyMap<string, IndexRead> = new Map(),
  ): Promise<RemoteCache> {
    const cache = new RemoteCache(options, layersOnly);
    for (const ref of refs) {
      // As BuildKit: a cache that cannot be read is a warning, never the build's failure.
      const found = await (started.get(ref) ?? readIndex(options.registries, ref)).catch((error: Error) => {
        options.warn(`cache from ${ref}: ${error.message} (nothing imported)`);
        return null;
      });
      if (found === null) continue;
      if (!found) {
        options.warn(`cache from ${ref}: not found in the registry (nothing imported)`);
        continue;
      }
      let count = 0;
      for (const item of found.index.entries) {
        const { layers, ...entry } = item;
        if (cache.entries.has(entry.key) || (layersOnly && !layers)) continue;
        const remote: RemoteEntry = { entry, layers, source: found.source };
        cache.entries.set(entry.key, remote);
        cache.images.set(entry.imageId, remote);
        count++;
      }
      for (const [key, digest] of Object.entries(found.index.fromDigests ?? {}))
        if (!cache.fromDigests.has(key)) cache.fromDigests.set(key, digest);
      options.emit({
        type: 'transfer',
        time: Date.now(),
        action: 'cache-import',
        ref,
        status: `${count} entries (${found.index.mode})`,
        done: true,
      });
    }
    return cache;
  }

  /** The blobs the caches read have, by registry and repository: an export need not send them again. */
  knownBlobs(): Array<{ domain: string; repository: string; diffId: string; blob: LayerBlob }> {
    const sources = new Set([...this.entries.values()].map((remote) => remote.source));
    return [...sources].flatMap((source) =>
      Object.entries(source.blobs).map(([diffId, blob]) => ({
        domain: source.repository.ref.domain,
        repository: source.repository.ref.path,
        diffId,
        blob,
      })),
    );
  }

  get size(): number {
    return this.entries.size;
  }

  entry(key: string): CacheEntry | undefined {
    return this.entries.get(key)?.entry;
  }

  /** Whether `imageId` is an image this cache can make (and so is not missing, only not made yet). */
  provides(imageId: string | undefined): boolean {
    return imageId !== undefined && this.images.has(imageId);
  }

  /** A layer chain the daemon has. */
  knownChain(diffIds: readonly string[]): void {
    if (diffIds.length > 0) this.chains.push([...diffIds]);
  }

  /** Makes the image `imageId` (an entry's) in the daemon, once; nothing when it is not this cache's. */
  make(imageId: string, exists: (id: string) => Promise<boolean>, signal?: AbortSignal): Promise<void> {
    const remote = this.images.get(imageId);
    if (!remote) return Promise.resolve();
    let pending = this.made.get(imageId);
    if (!pending) {
      pending = (async () => {
        if (await exists(imageId)) return;
        await this.load(remote, signal);
      })();
      this.made.set(imageId, pending);
      pending.catch(() => this.made.delete(imageId));
    }
    return pending;
  }

  private sharedPrefix(diffIds: readonly string[]): number {
    let best = 0;
    for (const chain of this.chains) {
      let i = 0;
      while (i < chain.length && i < diffIds.length && chain[i] === diffIds[i]) i++;
      // A known chain under the wanted one, or the wanted one under a known chain (all there).
      if ((i === chain.length || i === diffIds.length) && i > best) best = i;
    }
    return best;
  }

  private async load(remote: RemoteEntry, signal?: AbortSignal): Promise<void> {
    const { entry, source } = remote;
    const diffIds = entry.config.rootfs.diff_ids;
    const send = async (from: number) => {
      const wanted = diffIds.slice(from);
      const missing = wanted.filter((diffId) => !source.blobs[diffId]);
      if (missing.length > 0)
        throw new LayersUnavailableError(
          `cache ${source.ref} has step "${entry.step}" without its layers (exported with mode=min)`,
        );
      // Each blob streams from the registry into the load as it is sent, compressed: no temporary file,
      // and the daemon unpacks it and checks it against the layer's diff ID.
      const newLayers = wanted.map((diffId) => {
        const blob = source.blobs[diffId];
        const open = async () => {
          const body = await source.repository.blob(blob.digest);
          body.on('end', () =>
            this.options.emit({
              type: 'transfer',
              time: Date.now(),
              action: 'cache-import',
              ref: source.ref,
              layer: blob.digest.slice(7, 19),
              status: `fetched (${blob.size} bytes)`,
            }),
          );
          return body;
        };
        return { diffId, size: blob.size, open };
      });
      await this.options.images.load({ config: entry.config, newLayers }, signal);
    };
    const from = this.sharedPrefix(diffIds);
    try {
      await send(from);
    } catch (error) {
      // The daemon lacked a layer of the chain it was thought to have: everything then.
      if (from === 0 || error instanceof LayersUnavailableError || signal?.aborted) throw error;
      await send(0);
    }
    this.knownChain(diffIds);
    if (imageIdOf(entry.config) !== entry.imageId)
      throw new RegistryError(`cache ${source.ref}: the entry of "${entry.step}" loads as another image`, 'cache');
    // Made here, the entry is this machine's too: the next build finds it locally.
    await this.options.store.put(entry);
  }
}
