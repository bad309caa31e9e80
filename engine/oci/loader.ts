// Background loads of the target stage's images: dockerd registers each new layer of a `docker load`
// (~50 ms a layer), so each of the target's step images is loaded as soon as the step is done, while
// later steps run, and the build ends soon after its last step. Loads run one at a time; a load
// waiting behind another is replaced by a newer one that covers it (its config is among the newer
// one's ancestors), and a layer already sent is never sent again. A failed load is remembered and
// reported by `wait` (the steps themselves go on: their snapshots are kept for the next build).
import { imageIdOf, type ImageConfig } from '../image/config.js';

export interface LoadJob {
  config: ImageConfig;
  /** Configs loaded with it (the step images since the last load), oldest first. */
  ancestors: ImageConfig[];
  /** Layer tars of the config's diff IDs that may be missing from the daemon. */
  layers: Array<{ diffId: string; path: string }>;
}

export type LoadFunction = (
  job: { config: ImageConfig; ancestors: ImageConfig[]; newLayers: Array<{ diffId: string; path: string }> },
  signal: AbortSignal,
) => Promise<string>;

export class BackgroundLoader {
  private queue: Array<{ job: LoadJob; done: Array<(result: string | Error) => void> }> = [];
  private running: Promise<void> | undefined;
  private readonly sentLayers = new Set<string>();
  private readonly loadedImages = new Set<string>();
  private failure: Error | undefined;

  constructor(
    private readonly load: LoadFunction,
    private readonly signal: AbortSignal,
    /** Diff IDs the daemon is known to have (the base image's). */
    known: Iterable<string> = [],
  ) {
    for (const diffId of known) this.sentLayers.add(diffId);
  }

  /** Queues `job`; the promise gives the image ID once it is loaded (or an Error; it never rejects). */
  enqueue(job: LoadJob): Promise<string | Error> {
    const id = imageIdOf(job.config);
    if (this.loadedImages.has(id)) return Promise.resolve(id);
    return new Promise((resolve) => {
      const covered = new Set([id, ...job.ancestors.map((config) => imageIdOf(config))]);
      const done: Array<(result: string | Error) => void> = [(result) => resolve(result)];
      // Waiting jobs this one covers ride along with it.
      this.queue = this.queue.filter((waiting) => {
        if (!covered.has(imageIdOf(waiting.job.config))) return true;
        done.push(...waiting.done);
        return false;
      });
      this.queue.push({ job, done });
      this.running ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const next = this.queue.shift() as (typeof this.queue)[number];
        const result = await this.run(next.job);
        for (const resolve of next.done) resolve(result);
      }
    } finally {
      this.running = undefined;
    }
  }

  private async run(job: LoadJob): Promise<string | Error> {
    if (this.signal.aborted) return this.signal.reason instanceof Error ? this.signal.reason : new Error('cancelled');
    const newLayers = job.layers.filter((layer) => !this.sentLayers.has(layer.diffId));
    try {
      const id = await this.load({ config: job.config, ancestors: job.ancestors, newLayers }, this.signal);
      for (const layer of job.layers) this.sentLayers.add(layer.diffId);
      for (const config of [...job.ancestors, job.config]) this.loadedImages.add(imageIdOf(config));
      return id;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.failure ??= failure;
      return failure;
    }
  }

  /** True once an image with exactly this config was loaded by this loader. */
  hasLoaded(config: ImageConfig): boolean {
    return this.loadedImages.has(imageIdOf(config));
  }

  /** Waits for every queued load; rejects with the first failure, if any. */
  async wait(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure) throw this.failure;
  }
}
