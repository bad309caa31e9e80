// Runs a build's work with bounded parallelism: each stage waits only for what a step needs
// (its base, a COPY --from source), daemon work goes through p-limit, identical work (same cache key)
// runs once, and the first failure cancels everything still running.
import pLimit, { type LimitFunction } from 'p-limit';
import { MsbuildError } from '../errors.js';
import { sharedAbortController, untilAborted } from '../util/abort.js';
import { deferred, type Deferred } from '../util/deferred.js';

/** Cancelled because another step failed (or the build was interrupted). */
export class CancelledError extends MsbuildError {
  override readonly name = 'CancelledError';
  override readonly code = 'MSBUILD_CANCELLED';
  constructor(reason = 'cancelled') {
    super(reason);
  }
}

/**
 * Daemon work shared by builds in one process (`msbuild bake`): at most `jobs` operations at once,
 * and one run for concurrent requests with the same key.
 */
export class WorkPool {
  private readonly limit: LimitFunction;
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(readonly jobs: number) {
    this.limit = pLimit(Math.max(1, jobs));
  }

  get active(): number {
    return this.limit.activeCount;
  }

  /** True when work with this key is running now (a new request would join it). */
  isRunning(key: string): boolean {
    return this.inflight.has(key);
  }

  run<T>(key: string | undefined, work: () => Promise<T>): Promise<T> {
    if (key !== undefined) {
      const running = this.inflight.get(key);
      if (running) return running as Promise<T>;
    }
    const promise = this.limit(work);
    if (key !== undefined) {
      this.inflight.set(key, promise);
      promise.finally(() => this.inflight.delete(key)).catch(() => undefined);
    }
    return promise;
  }
}

/** One build's view: its stages' results, its cancellation, and the (possibly shared) work pool. */
export class Scheduler<StageResult> {
  private readonly stages = new Map<number, Deferred<StageResult>>();
  private readonly controller = sharedAbortController();
  private firstError: unknown;

  constructor(
    private readonly pool: WorkPool,
    outer?: AbortSignal,
  ) {
    if (outer) {
      if (outer.aborted) this.cancel(outer.reason);
      else outer.addEventListener('abort', () => this.cancel(outer.reason), { once: true });
    }
  }

  /** Aborted when the build fails or is interrupted; steps pass it on to containers. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The error that stopped the build first, if any. */
  get failure(): unknown {
    return this.firstError;
  }

  /** Number of daemon operations running now (for tests and progress). */
  get active(): number {
    return this.pool.active;
  }

  private stage(index: number): Deferred<StageResult> {
    let entry = this.stages.get(index);
    if (!entry) {
      entry = deferred<StageResult>();
      this.stages.set(index, entry);
    }
    return entry;
  }

  /** Resolves when stage `index` has finished; rejects at once when the build is cancelled. */
  waitForStage(index: number): Promise<StageResult> {
    return untilAborted(this.stage(index).promise, this.controller.signal).catch((error: unknown) => {
      throw this.controller.signal.aborted ? new CancelledError() : error;
    });
  }

  stageDone(index: number, result: StageResult): void {
    this.stage(index).resolve(result);
  }

  stageFailed(index: number, error: unknown): void {
    this.stage(index).reject(error);
  }

  /** Stops everything: records the first error and aborts running work. */
  cancel(error: unknown): void {
    if (this.firstError === undefined) this.firstError = error ?? new CancelledError();
    if (!this.controller.signal.aborted) this.controller.abort(this.firstError);
  }

  throwIfCancelled(): void {
    if (this.controller.signal.aborted) throw new CancelledError();
  }

  /** True when the same work is already running (started by another stage or build). */
  isRunning(key: string): boolean {
    return this.pool.isRunning(key);
  }

  /**
   * Runs `work` within the parallelism limit. With a key, concurrent calls with the same key share
   * one run (two stages, or two targets, that do the very same step).
   */
  run<T>(key: string | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.pool.run(key, async () => {
      this.throwIfCancelled();
      return work(this.controller.signal);
    });
  }
}
