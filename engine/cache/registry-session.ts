// One build's use of registry caches: the caches it reads (`--cache-from type=registry`, an image
// with an inline cache) made hits of the step cache, their images made on use by the worker wrapper;
// what it learns while it runs (its base images' layers, never exported; which image each COPY --from
// digest was read from, so the digest can be keyed for another daemon); and its exports
// (`--cache-to type=registry`, `type=inline`).
import { MsbuildError } from '../errors.js';
import type { BuildEvent } from '../events.js';
import type { ImageState } from '../image/state.js';
import type { Registries } from '../registry/client.js';
import type { ImageStore } from '../worker/image-store.js';
import type { ResolvedImage } from '../worker/worker.js';
import { withInlineCache } from './inline-cache.js';
import { exportToRegistry, type ExportSelection } from './registry-export.js';
import { RemoteCache, type IndexRead } from './remote-cache.js';
import type { RemoteCacheWorker } from './remote-worker.js';
import type { CacheEntry, CacheStore } from './store.js';

export interface RegistryCacheTarget {
  ref: string;
  mode: 'min' | 'max';
  ignoreError?: boolean;
}

/** A COPY --from digest's key, made again for another image ID of the same source. */
export interface FromUse {
  image: string;
  rekey: (image: string) => string;
}

export interface RegistrySessionEnv {
  images: ImageStore;
  store: CacheStore;
  /** Made on first use (connections and credentials), closed by the build. */
  registries: () => Registries;
  emit: (event: BuildEvent) => void;
  /** The build's temp dir (made while the build starts): layers packed for an export go there. */
  tempDir: () => Promise<string>;
  /** Leave out records without layers (the build's second try after one was needed). */
  layersOnly: boolean;
}

/** What an export needs of the build: the keys it used and the COPY --from digests it knows. */
export interface BuildUse {
  usedKeys: Iterable<string>;
  fromDigest: (key: string) => string | undefined;
}

export class RegistryCacheSession {
  private remote: RemoteCache | undefined;
  private readonly baseLayers = new Set<string>();
  private readonly fromUses = new Map<string, FromUse>();

  constructor(private readonly env: RegistrySessionEnv) {}

  /** Reads the caches named by `--cache-from type=registry`; the worker makes their images on use. */
  async open(
    refs: readonly string[],
    worker: RemoteCacheWorker,
    signal: AbortSignal,
    started?: ReadonlyMap<string, IndexRead>,
  ): Promise<void> {
    if (refs.length === 0) return;
    const { env } = this;
    this.remote = await RemoteCache.open(
      refs,
      {
        images: env.images,
        registries: env.registries(),
        store: env.store,
        emit: env.emit,
        warn: (message) => env.emit({ type: 'warning', time: Date.now(), message }),
      },
      env.layersOnly,
      started,
    );
    worker.use(this.remote, signal);
  }

  /** A registry cache's entry for `key`, if one was read. */
  entry(key: string): CacheEntry | undefined {
    return this.remote?.entry(key);
  }

  /** COPY --from content digests the registry caches brought: their stages need not be made to key those steps. */
  get fromDigests(): ReadonlyMap<string, string> {
    return this.remote?.fromDigests ?? new Map();
  }

  /** A base image resolved: its layers are never exported, and the daemon has its chain. */
  baseResolved(image: ResolvedImage): void {
    for (const diffId of image.config.rootfs.diff_ids) this.baseLayers.add(diffId);
    this.remote?.knownChain(image.config.rootfs.diff_ids);
  }

  /** A COPY --from digest was keyed by `key` (remembered so an export can key it for another daemon). */
  fromUsed(key: string, use: FromUse): void {
    this.fromUses.set(key, use);
  }

  private async selection(target: ImageState, mode: ExportSelection['mode'], use: BuildUse): Promise<ExportSelection> {
    const entries: CacheEntry[] = [];
    for (const key of use.usedKeys) {
      const entry = (await this.env.store.get(key)) ?? this.remote?.entry(key);
      if (entry) entries.push(entry);
    }
    const fromDigests = [...this.fromUses].flatMap(([key, from]) => {
      const digest = use.fromDigest(key);
      return digest === undefined ? [] : [{ image: from.image, digest, rekey: from.rekey }];
    });
    return { entries, mode, targetLayers: target.config.rootfs.diff_ids, baseLayers: this.baseLayers, fromDigests };
  }

  /** `--cache-to type=inline`: the image again, its config carrying the cache. */
  async withInline(target: ImageState, use: BuildUse, signal: AbortSignal): Promise<ImageState> {
    return withInlineCache(this.env.images, target, await this.selection(target, 'inline', use), signal);
  }

  /**
   * `--cache-to type=registry`: a failure fails the build unless ignore-error=true (then a warning);
   * an abort stops it before the manifest (the ref keeps the previous cache) and is the build's failure.
   */
  async exportTo(spec: RegistryCacheTarget, target: ImageState, use: BuildUse, signal: AbortSignal): Promise<void> {
    const { env } = this;
    try {
      await exportToRegistry(spec.ref, await this.selection(target, spec.mode, use), {
        images: env.images,
        store: env.store,
        registries: env.registries(),
        tempDir: await env.tempDir(),
        emit: env.emit,
        ...(this.remote ? { seed: this.remote.knownBlobs() } : {}),
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      const message = `cannot export the cache to ${spec.ref}: ${(error as Error).message}`;
      if (!spec.ignoreError) throw new RegistryCacheError(message, { cause: error });
      env.emit({ type: 'warning', time: Date.now(), message });
    }
  }
}

/** A `--cache-to type=registry` export that failed (without ignore-error=true). */
export class RegistryCacheError extends MsbuildError {
  override readonly name = 'RegistryCacheError';
  override readonly code = 'MSBUILD_CACHE_EXPORT';
}
