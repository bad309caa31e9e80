// msbuild as a library: `build(options)` plans a Dockerfile, solves its stages on a worker with the
// step cache, and leaves the target image in the daemon. This orchestrator wires the pieces (options,
// worker, cache session, and the parts in engine/orchestrator/) and owns what a build holds: an
// interrupted build, or one whose daemon stopped answering, stops waiting and cleans up at once,
// within bounded time.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { buildErrorEvent } from './build-error.js';
import { RegistryCacheSession } from './cache/registry-session.js';
import { LayersUnavailableError, startIndexReads } from './cache/remote-cache.js';
import { RemoteCacheWorker } from './cache/remote-worker.js';
import { CacheSession } from './cache/session.js';
import { StepCache } from './cache/step-cache.js';
import { CacheStore } from './cache/store.js';
import { loadIgnoreRules } from './context/ignore.js';
import { ContextFs } from './copy/source-fs.js';
import { daemonSocketsFile } from './docker/daemon-identity.js';
import { connectDocker } from './docker/daemon.js';
import { DockerWorker } from './docker/worker.js';
import type { BuildEvent } from './events.js';
import { imagesLoadedWith, type ImageState } from './image/state.js';
import { resolveOptions, type BuildOptions, type ResolvedOptions } from './options.js';
import { finishBuild } from './orchestrator/finish.js';
import { planBuild } from './orchestrator/planning.js';
import { checkRequest, importCaches, readDockerfile } from './orchestrator/preflight.js';
import { buildResult, dryRunResult, type BuildResult } from './orchestrator/result.js';
import { buildStartEvent, solvePlan } from './orchestrator/solve.js';
import { chooseWorker } from './orchestrator/worker-choice.js';
import { sourceDateEpoch } from './plan/args.js';
import { type BuildPlan } from './plan/plan.js';
import { BuildRecorder } from './recorder.js';
import { Registries } from './registry/client.js';
import { SshAgents } from './ssh/agents.js';
import { BaseImages } from './steps/base-images.js';
import { type StepEnv } from './steps/env.js';
import { pullBaseImage } from './steps/pull-image.js';
import { onAbort, sharedAbortController, windDown } from './util/abort.js';
import { createTempDir, removeOrphanedTempDirs, removeTempDir } from './util/temp-dirs.js';
import type { Worker } from './worker/worker.js';

export type { BuildOptions } from './options.js';

export type { BuildResult } from './orchestrator/result.js';

/** After an interrupt (or a daemon lost), how long the build's own work may take to wind down before cleanup starts anyway. */
const windDownMs = 1500;
/**
 * How long cleanup waits for the worker after an interrupt before it gives up on a runtime that does
 * not answer; one that answers but removes slowly is waited for longer (the worker decides).
 */
const hurriedCleanupMs = 4000;
const cleanupMs = 30_000;

export async function build(options: BuildOptions): Promise<BuildResult> {
  const resolved = resolveOptions(options);
  try {
    return await new Build(resolved).execute();
  } catch (error) {
    // A registry cache entry exported without layers (mode=min) turned out to be needed: once more,
    // without such entries (what ran meanwhile is in the local cache now).
    if (!(error instanceof LayersUnavailableError)) throw error;
    resolved.emit({
      type: 'warning',
      time: Date.now(),
      message: `${error.message}: building again without the registry cache's layer-less entries`,
    });
    return new Build(resolved, true).execute();
  }
}

class Build {
  private readonly id = randomBytes(6).toString('hex');
  private readonly recorder = new BuildRecorder();
  /** Aborted when the build must stop: interrupted (the caller's signal) or the daemon stopped answering. */
  private readonly stop = sharedAbortController();
  /** The Engine API worker: the build's worker, or the daemon side of the OCI worker. */
  private readonly daemonWorker: DockerWorker;
  /** The build's worker (Docker or OCI), wrapped to make registry cache hits when they are used. */
  private worker!: RemoteCacheWorker;
  private readonly session: CacheSession;
  private cache!: StepCache;
  private registryClients: Registries | undefined;
  private registryCache!: RegistryCacheSession;
  /** Temp dirs of killed msbuild processes, being removed while the build starts. */
  private orphanedTempDirs: Promise<void> = Promise.resolve();
  private tempDirCreated: Promise<string> = Promise.resolve('');
  private sshAgents: SshAgents | undefined;

  constructor(
    private readonly options: ResolvedOptions,
    /** Leave out registry cache entries without layers (the second try of build()). */
    private readonly layersOnly = false,
  ) {
    this.daemonWorker = new DockerWorker({
      docker: options.docker ?? connectDocker(),
      buildId: this.id,
      lockDir: join(options.cacheDir, 'cache-mount-locks'),
      identityMemo: join(options.cacheDir, daemonSocketsFile),
      onLost: (error) => this.stop.abort(error),
      onWarning: (warning) => this.emit({ type: 'warning', time: Date.now(), ...warning }),
    });
    const images = this.daemonWorker.images;
    // Entries name images of one daemon: the store keeps this one's apart from others' in a shared dir.
    this.session =
      options.cacheSession ?? new CacheSession(new CacheStore(options.cacheDir, { daemon: () => images.identity() }));
    this.use(this.daemonWorker);
  }

  /** Runs the build on `worker`: the step cache and the registry cache session see its images. */
  private use(worker: Worker): void {
    this.worker = new RemoteCacheWorker(worker);
    this.cache = new StepCache(this.session, this.worker.images, { ...this.options, buildId: this.id });
    this.registryCache = new RegistryCacheSession({
      images: this.worker.images,
      store: this.session.store,
      registries: () => this.registries(),
      emit: this.emit,
      tempDir: () => this.tempDirCreated,
      layersOnly: this.layersOnly,
    });
    this.cache.fallBackTo(this.registryCache);
  }

  /** Registry connections and credentials, made on first use and closed with the build. */
  private registries(): Registries {
    this.registryClients ??= new Registries(this.options.registry);
    return this.registryClients;
  }

  /** The worker the options and the machine allow (the OCI worker where it can run), started. */
  private async startWorker(): Promise<void> {
    const worker = await chooseWorker({
      options: this.options,
      buildId: this.id,
      daemon: this.daemonWorker,
      warn: (message) => this.warn(message),
    });
    if (worker !== this.daemonWorker) this.use(worker);
    await this.worker.start();
  }

  private emit = (event: BuildEvent): void => {
    this.recorder.record(event);
    this.options.emit(event);
  };

  private warn(message: string): void {
    this.emit({ type: 'warning', time: Date.now(), message });
  }

  async execute(): Promise<BuildResult> {
    const outer = this.options.signal;
    const unlink = onAbort(outer, () => this.stop.abort(outer?.reason));
    try {
      return await windDown(this.executeInner(), this.stop.signal, windDownMs);
    } catch (error) {
      const unavailable = LayersUnavailableError.behind(error);
      if (unavailable && !this.layersOnly) throw unavailable;
      const reported = await this.worker.explainFailure(error, { interrupted: outer?.aborted });
      this.emit(buildErrorEvent(reported));
      throw reported;
    } finally {
      unlink();
      await this.cleanUp();
    }
  }

  /** Everything the build holds, released: bounded in time when the build was stopped or the daemon is gone. */
  private async cleanUp(): Promise<void> {
    const stopped = this.stop.signal.aborted;
    this.registryClients?.close();
    await this.worker.close(stopped || this.worker.lost ? hurriedCleanupMs : cleanupMs);
    await this.sshAgents?.close();
    // Made while the plan was, so it may exist although planning failed.
    const tempDir = await this.tempDirCreated.catch(() => '');
    if (tempDir !== '') await removeTempDir(tempDir);
    // A stopped build does not ask the daemon about images it may not have made: those entries go.
    await this.cache.settle(stopped);
    await this.orphanedTempDirs;
    if (!this.options.cacheSession) await this.session.save();
  }

  private async executeInner(): Promise<BuildResult> {
    const { options } = this;
    await checkRequest(options, this.session.store);
    // The registry caches' indexes are read while the worker starts (neither needs the other).
    const indexReads =
      options.registryCacheFrom.length > 0 ? startIndexReads(this.registries(), options.registryCacheFrom) : undefined;
    // The first answer of the daemon takes a new connection (~20 ms): read the Dockerfile meanwhile.
    const started = this.startWorker();
    const dockerfileText = readDockerfile(options);
    dockerfileText.catch(() => undefined);
    await started;
    // Leftovers of killed builds are removed beside this one (they are no concern of its steps).
    this.orphanedTempDirs = removeOrphanedTempDirs().then((removed) => {
      if (removed > 0)
        this.warn(`removed ${removed} temporary director${removed === 1 ? 'y' : 'ies'} left by an interrupted msbuild`);
    });
    await this.worker.checkRequest?.({ network: options.network, platform: options.platform });
    const registryRefs = await importCaches({
      options,
      worker: this.worker,
      store: this.session.store,
      cache: this.cache,
      warn: (message) => this.warn(message),
    });
    // What the steps need besides the plan is read while the plan is made.
    this.tempDirCreated = createTempDir(this.id);
    const ignoreRules = loadIgnoreRules(options.contextDir, options.dockerfilePath);
    const memos = this.session.load();
    for (const pending of [this.tempDirCreated, ignoreRules]) pending.catch(() => undefined);
    await this.tempDirCreated;
    await this.registryCache.open(registryRefs, this.worker, this.stop.signal, indexReads);
    let plan: BuildPlan | undefined;
    const baseImages = new BaseImages(this.worker, options.pull, () => [...(plan?.graph.byName.keys() ?? [])], {
      pull: (ref) =>
        pullBaseImage(this.worker.images, ref, {
          registries: this.registries(),
          signal: this.stop.signal,
          emit: this.emit,
        }),
      resolved: (image) => this.registryCache.baseResolved(image),
    });
    plan = await planBuild({
      options,
      dockerfileText: await dockerfileText,
      baseImages,
      ignoreRules: await ignoreRules,
      emit: this.emit,
    });
    const epoch = sourceDateEpoch(plan.buildArgs);
    const tempDir = await this.tempDirCreated;
    if (options.ssh.length > 0) this.sshAgents = await SshAgents.start(options.ssh, tempDir);
    const steps: Omit<StepEnv, 'stages'> = {
      worker: this.worker,
      tempDir,
      ...(epoch ? { epoch } : {}),
      contextFs: new ContextFs(options.contextDir, await ignoreRules),
      memos: this.session,
      baseImages,
      run: { network: options.network, limits: options.limits, secrets: options.secrets },
      ...(this.sshAgents ? { sshAgents: this.sshAgents.ids } : {}),
      fromUsed: (key, use) => this.registryCache.fromUsed(key, use),
    };
    await memos;
    // COPY --from digests a registry cache brought: its stages need not be made to key those steps.
    for (const [key, digest] of this.registryCache.fromDigests)
      if (!this.session.imageDigests.has(key)) this.session.imageDigests.set(key, digest);
    this.emit(buildStartEvent(plan, { buildId: this.id, jobs: options.jobs, worker: this.worker.name }));
    const target = await solvePlan({
      plan,
      steps,
      options,
      cache: this.cache,
      worker: this.worker,
      exportState: (state, signal) => this.exportState(state, signal),
      emit: this.emit,
      signal: this.stop.signal,
    });
    if (options.dryRun) return dryRunResult(this.resultSources, target);
    return this.finish(plan, target.state);
  }

  /** `state` loaded into the daemon; the pending entries of the steps it loads are written then. */
  private async exportState(state: ImageState, signal?: AbortSignal): Promise<ImageState> {
    if (state.imageId !== undefined) return state;
    const ids = imagesLoadedWith(state);
    const result = await this.worker.exportImage(state, signal);
    await this.session.recordLoaded(ids);
    return result;
  }

  private async finish(plan: BuildPlan, target: ImageState): Promise<BuildResult> {
    const { summary, state } = await finishBuild(
      {
        options: this.options,
        buildId: this.id,
        worker: this.worker,
        cache: this.cache,
        session: this.session,
        registryCache: this.registryCache,
        recorder: this.recorder,
        registries: () => this.registries(),
        exportState: (state, signal) => this.exportState(state, signal),
        emit: this.emit,
        signal: this.stop.signal,
      },
      plan,
      target,
    );
    this.emit({ type: 'build-done', time: Date.now(), summary });
    return buildResult(this.resultSources, summary, state.config);
  }

  private get resultSources() {
    return { buildId: this.id, recorder: this.recorder, usedKeys: this.cache.usedKeys };
  }
}
