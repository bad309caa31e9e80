// Test support: the solver with fake ops and a fake worker, no daemon. Plans are real (planned from
// Dockerfile text, FROM scratch or FROM another stage); each layer step's op is a fake whose
// behaviour the test sets by the step's text; the cache is real, in a temporary directory.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CacheSession } from '../../engine/cache/session.js';
import { StepCache } from '../../engine/cache/step-cache.js';
import { CacheStore } from '../../engine/cache/store.js';
import type { BuildEvent } from '../../engine/events.js';
import { imageIdOf } from '../../engine/image/config.js';
import { withNewLayer } from '../../engine/image/state.js';
import { formatPlatform } from '../../engine/plan/args.js';
import { planBuild } from '../../engine/plan/plan.js';
import type { DispatchedStep } from '../../engine/plan/step.js';
import type { Op, OpInputs } from '../../engine/solver/op.js';
import { Scheduler, WorkPool } from '../../engine/solver/scheduler.js';
import { Solver, type StageOutcome } from '../../engine/solver/solver.js';
import type { BaseImages } from '../../engine/steps/base-images.js';
import { startStage } from '../../engine/steps/from.js';
import type { ImageStore } from '../../engine/worker/image-store.js';
import type { Worker } from '../../engine/worker/worker.js';

/** How the fake op of a step (by its text, e.g. `RUN make`) behaves. */
export interface FakeStep {
  /** Milliseconds exec takes (it stops at once when the build is cancelled). */
  ms?: number;
  /** exec fails with this message. */
  fail?: string;
  /** Stages (by index) the step reads, as a COPY --from does. */
  reads?: number[];
  /** Files it reads, path → digest: in its key and its miss explanation. */
  files?: Record<string, string>;
}

export interface FakeRun {
  outcome?: StageOutcome;
  error?: unknown;
  events: BuildEvent[];
  /** Steps executed, by text, in order. */
  executed: string[];
  /** The most steps that executed at once. */
  maxConcurrent: number;
}

const fakeId = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** A fake image store: every image exists, except those the test removed. */
export function fakeImages(removed: Set<string> = new Set()): ImageStore {
  return {
    identity: async () => 'fake-daemon',
    inventory: async () => ({ present: new Set(), tagged: new Set() }),
    isTagged: async () => false,
    has: async (id) => !removed.has(id),
    confirm: async (id) => !removed.has(id),
    size: async () => 1000,
    tag: async () => undefined,
    remove: async () => undefined,
    save: async () => Readable.from([]),
    load: async (request) => imageIdOf(request.config),
    push: async () => ({ digest: fakeId('pushed') }),
    pull: async () => undefined,
  };
}

function fakeWorker(images: ImageStore): Worker {
  return {
    name: 'fake',
    images,
    lost: undefined,
    start: async () => undefined,
    close: async () => 0,
    explainFailure: async (error) => error,
    resolveImage: async () => undefined,
    exec: async () => {
      throw new Error('the fake ops run nothing on the worker');
    },
    mount: async () => undefined,
    readFiles: async () => {
      throw new Error('no files');
    },
    exportImage: async (state) => ({ ...state, imageId: imageIdOf(state.config) }),
    prepareNetworks: () => undefined,
    releaseNetworks: () => undefined,
  };
}

export class FakeBuild {
  readonly removedImages = new Set<string>();
  private constructor(readonly cacheDir: string) {}

  static async create(): Promise<FakeBuild> {
    return new FakeBuild(await mkdtemp(join(tmpdir(), 'msbuild-fake-solver-')));
  }

  async dispose(): Promise<void> {
    await rm(this.cacheDir, { recursive: true, force: true });
  }

  /** Solves `dockerfile` with fake ops per `steps`. */
  async run(
    dockerfile: string,
    steps: Record<string, FakeStep> = {},
    options: { noCache?: boolean; noCacheFilter?: string[]; dryRun?: boolean; jobs?: number } = {},
  ): Promise<FakeRun> {
    const plan = await planBuild(dockerfile);
    const run: FakeRun = { events: [], executed: [], maxConcurrent: 0 };
    const images = fakeImages(this.removedImages);
    const worker = fakeWorker(images);
    const session = new CacheSession(new CacheStore(this.cacheDir));
    await session.load();
    const cache = new StepCache(session, images, {
      noCache: options.noCache ?? false,
      noCacheFilter: options.noCacheFilter ?? [],
      buildId: 'fake',
    });
    const scheduler = new Scheduler<StageOutcome>(new WorkPool(options.jobs ?? 8));
    let running = 0;
    const ops = (step: DispatchedStep): Op => {
      const behaviour = steps[step.displayText] ?? {};
      return {
        waitForInputs: async (): Promise<OpInputs> => {
          const stages = behaviour.reads ?? [];
          for (const index of stages) {
            const outcome = await scheduler.waitForStage(index);
            if (outcome.virtual) return { ready: false, stages, rebuiltStage: plan.graph.stages[index].displayName };
          }
          return { ready: true, stages };
        },
        cacheMap: async () =>
          behaviour.files
            ? {
                inputs: { contentDigest: fakeId(JSON.stringify(behaviour.files)) },
                record: { files: behaviour.files },
              }
            : {},
        exec: async (state, stepRun) => {
          run.executed.push(step.displayText);
          running++;
          run.maxConcurrent = Math.max(run.maxConcurrent, running);
          try {
            await new Promise<void>((resolve, reject) => {
              const timer = setTimeout(resolve, behaviour.ms ?? 0);
              stepRun.signal.addEventListener('abort', () => {
                clearTimeout(timer);
                reject(new Error('aborted'));
              });
            });
            if (behaviour.fail) throw new Error(behaviour.fail);
          } finally {
            running--;
          }
          const diffId = fakeId(`${step.displayText}:${state.config.rootfs.diff_ids.join()}`);
          const change = { configAfter: step.configAfter, history: step.history, time: stepRun.time };
          return {
            state: withNewLayer({ parent: state, ref: fakeId(`image:${diffId}`), diffId }, change),
            layerSize: 10,
          };
        },
        dispose: async () => undefined,
      };
    };
    const stages = {
      wait: (index: number) => scheduler.waitForStage(index),
      refOf: async () => 'unused',
      nameOf: (index: number) => plan.graph.stages[index].displayName,
      indexOf: () => undefined,
    };
    const solver = new Solver({
      plan,
      scheduler,
      cache,
      worker,
      ops,
      from: (stage) =>
        startStage({ stages, baseImages: {} as BaseImages, platform: formatPlatform(plan.platform) }, stage),
      exportState: (state) => worker.exportImage(state),
      baseImageId: () => undefined,
      emit: (event) => run.events.push(event),
      identity: { context: '/fake/context', dockerfile: '/fake/Dockerfile' },
      dryRun: options.dryRun ?? false,
      interrupted: () => false,
      hooks: {},
    });
    try {
      run.outcome = await solver.solve();
    } catch (error) {
      run.error = error;
    }
    await cache.settle(false);
    return run;
  }
}
