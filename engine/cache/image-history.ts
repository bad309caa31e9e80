// `--cache-from IMAGE` as the legacy builder reads it (moby image/cache: a step is a hit when the
// image built so far is a prefix of a cache image — the same layers, the same history — and the cache
// image's next history entry is the step's). msbuild applies it to the steps whose history says all
// they do: RUN without bind mounts, and WORKDIR. COPY and ADD are never taken from an image: the
// history BuildKit and msbuild write (`COPY . /src`) does not say which files were copied, so
// matching it could reuse stale content. A hit becomes an image with the cache image's layers and this
// build's config, and an entry of msbuild's own cache, so the next build hits without the image.
import type { HistoryEntry, ImageConfig } from '../image/config.js';
import { configWithLayer, type ImageState } from '../image/state.js';
import type { DispatchedStep } from '../plan/step.js';
import type { ImageStore } from '../worker/image-store.js';
import type { ResolvedImage } from '../worker/worker.js';
import type { CacheEntry } from './store.js';

const sameEntry = (a: HistoryEntry, b: HistoryEntry) =>
  (a.created_by ?? '') === (b.created_by ?? '') && (a.empty_layer ?? false) === (b.empty_layer ?? false);

export class ImageHistoryCache {
  private constructor(
    private readonly images: ImageStore,
    private readonly sources: ReadonlyArray<{ ref: string; config: ImageConfig }>,
  ) {}

  /**
   * The cache images that are in the daemon (`find` looks one up without pulling); `warn` says
   * which are not (the build goes on).
   */
  static async load(options: {
    images: ImageStore;
    refs: readonly string[];
    find: (ref: string) => Promise<ResolvedImage | undefined>;
    /** An image the daemon lacks: read from its registry instead (a bare `--cache-from REF`, as buildx). */
    missing: (ref: string) => void;
  }): Promise<ImageHistoryCache> {
    const sources: Array<{ ref: string; config: ImageConfig }> = [];
    for (const ref of options.refs) {
      const found = await options.find(ref);
      if (!found) {
        options.missing(ref);
        continue;
      }
      sources.push({ ref, config: found.config });
    }
    return new ImageHistoryCache(options.images, sources);
  }

  get empty(): boolean {
    return this.sources.length === 0;
  }

  /** Whether the step's result is fully described by its history entry. */
  private static matchable(step: DispatchedStep): boolean {
    if (step.action.kind === 'workdir') return true;
    return step.action.kind === 'run' && !step.action.mounts.some((mount) => mount.type === 'bind');
  }

  /**
   * The entry for `step` on `state` from a cache image whose layers and history continue them with
   * this step's history entry, or undefined. The image it names is loaded (its layers are the cache
   * image's, already in the daemon).
   */
  async lookup(options: {
    key: string;
    stage: string;
    step: DispatchedStep;
    state: ImageState;
  }): Promise<CacheEntry | undefined> {
    const { key, stage, step, state } = options;
    if (this.sources.length === 0 || !ImageHistoryCache.matchable(step)) return undefined;
    // Layers msbuild wrote and has not loaded are no cache image's.
    if (state.unloadedLayers?.length) return undefined;
    const ours = state.config;
    for (const source of this.sources) {
      const theirs = source.config;
      const next = theirs.history[ours.history.length];
      if (!next || !ours.history.every((entry, i) => sameEntry(entry, theirs.history[i]))) continue;
      if (!ours.rootfs.diff_ids.every((diffId, i) => theirs.rootfs.diff_ids[i] === diffId)) continue;
      if ((next.created_by ?? '') !== (step.history.created_by ?? '')) continue;
      const layered = !next.empty_layer;
      const diffId = layered ? theirs.rootfs.diff_ids[ours.rootfs.diff_ids.length] : undefined;
      if (layered && diffId === undefined) continue;
      const time = next.created ? new Date(next.created) : new Date();
      const config = configWithLayer(state, { configAfter: step.configAfter, history: step.history, time }, diffId);
      const imageId = await this.images.load({ config });
      return {
        key,
        imageId,
        config,
        stage,
        step: `${step.displayText} (from --cache-from ${source.ref})`,
        seconds: 0,
        layerSize: 0,
        created: new Date().toISOString(),
      };
    }
    return undefined;
  }
}
