// One build's use of the cache session: looking a key up (an entry whose image the daemon lost is a
// miss, and goes), explaining a miss from the step's last recorded inputs, recording a step's result
// (at once, or once its image is loaded), and the keys the build used (for `--cache-to`). Keys this
// machine's cache lacks are looked up in the registry caches the build read, if any.
import { imageIdOf } from '../image/config.js';
import type { ImageState } from '../image/state.js';
import type { DispatchedStep } from '../plan/step.js';
import type { ImageStore } from '../worker/image-store.js';
import { explainMiss } from './explain.js';
import type { ImageHistoryCache } from './image-history.js';
import type { CacheSession } from './session.js';
import type { CacheEntry, StepInputsRecord } from './store.js';

/** A stage as the cache options name it. */
export interface CacheScope {
  /** `build`, or `stage-2` for an unnamed stage. */
  displayName: string;
  /** The name as written after AS (lower-cased), or empty. */
  name: string;
}

export interface StepCacheOptions {
  /** `--no-cache`: nothing is looked up. */
  noCache: boolean;
  /** Stages whose steps ignore the cache (`--no-cache-filter`). */
  noCacheFilter: readonly string[];
  /** The build, as the owner of its pending entries. */
  buildId: string;
}

export class StepCache {
  /** Keys of the steps this build ran or reused (and of its stage results). */
  readonly usedKeys = new Set<string>();
  /** Keys whose entry pointed at an image the daemon no longer has (the miss says so). */
  private readonly removedRefs = new Map<string, string>();
  /** `--cache-from IMAGE`: images whose history can stand in for a step (the legacy builder's cache). */
  private history: ImageHistoryCache | undefined;

  /** Entries of registry caches (`--cache-from type=registry`): hits when the local cache has none. */
  private remote: { entry(key: string): CacheEntry | undefined } | undefined;

  constructor(
    readonly session: CacheSession,
    private readonly images: ImageStore,
    private readonly options: StepCacheOptions,
  ) {}

  /** Steps missing from the cache are looked up in these images' histories too. */
  useImageHistory(history: ImageHistoryCache): void {
    this.history = history;
  }

  /** Looks keys up in `remote` too, after this machine's cache. */
  fallBackTo(remote: { entry(key: string): CacheEntry | undefined }): void {
    this.remote = remote;
  }

  /** Why the cache is not consulted for `stage`'s steps, if the options say so. */
  bypass(stage: CacheScope): string | undefined {
    if (this.options.noCache) return '--no-cache: every step runs';
    const filter = this.options.noCacheFilter;
    if (filter.includes(stage.displayName) || filter.includes(stage.name))
      return `--no-cache-filter names stage ${stage.displayName}`;
    return undefined;
  }

  /**
   * The entry for `key`, if the cache is consulted, it is there and the daemon still has its image;
   * else, given the step and the state it runs on, one from a `--cache-from` image's history (then
   * recorded, so the next build hits without the image).
   */
  async lookUp(
    key: string,
    stage: CacheScope,
    step?: { step: DispatchedStep; state: ImageState },
  ): Promise<CacheEntry | undefined> {
    if (this.bypass(stage) !== undefined) return undefined;
    const store = this.session.store;
    const entry = await store.get(key);
    if (!entry) {
      const remote = this.remote?.entry(key);
      if (remote) return remote;
      const fromImage =
        step && this.history ? await this.history.lookup({ key, stage: stage.displayName, ...step }) : undefined;
      if (fromImage) await store.put(fromImage);
      return fromImage;
    }
    if (!(await this.images.has(entry.imageId))) {
      // The image was removed from the daemon (docker image prune): a miss, and a stale entry less.
      this.removedRefs.set(key, entry.imageId);
      await store.remove(key);
      return this.remote?.entry(key);
    }
    await store.touch(key);
    return entry;
  }

  /** Why the step with this identity misses: the options, or what changed since it last ran. */
  async explainMiss(identity: string, inputs: StepInputsRecord, stage: CacheScope): Promise<string[]> {
    const bypass = this.bypass(stage);
    if (bypass !== undefined) return [bypass];
    const removedRef = this.removedRefs.get(inputs.key);
    return explainMiss(
      await this.session.store.lastInputs(identity),
      inputs,
      removedRef === undefined ? {} : { removedRef },
    );
  }

  /**
   * Records a step that ran: its entry now, when its result is in the daemon, else once the stage's
   * image (exactly this config's) is loaded; and its inputs, for the next miss explanation.
   */
  async recordStep(entry: CacheEntry, state: ImageState, identity: string): Promise<void> {
    if (state.layerImageId === undefined && state.imageId === undefined) {
      // A layer msbuild wrote is loaded with the stage, as an image with exactly this config's ID.
      const id = imageIdOf(state.config);
      this.session.addPending(this.options.buildId, id, { ...entry, imageId: id, configImageId: id });
    } else {
      await this.session.store.put({
        ...entry,
        imageId: (state.layerImageId ?? state.imageId) as string,
        ...(state.imageId !== undefined ? { configImageId: state.imageId } : {}),
      });
    }
    if (entry.inputs) await this.session.store.recordInputs(identity, entry.inputs);
    this.usedKeys.add(entry.key);
  }

  /** Records a result whose image exists (a stage's final image). */
  async recordResult(entry: CacheEntry): Promise<void> {
    await this.session.store.put(entry);
    this.usedKeys.add(entry.key);
  }

  /** Writes this build's pending entries whose image exists; `stopped`: drops them without asking. */
  settle(stopped: boolean): Promise<void> {
    return this.session.settle(this.options.buildId, this.images, stopped);
  }
}
