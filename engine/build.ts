// msbuild as a library: `build(options)` plans a Dockerfile, runs its stages on a Docker daemon with
// the step cache, and leaves the target image in the daemon. The Build class owns every resource a
// build takes (containers, temp files) and releases them on success, failure and interruption; an
// interrupted build, or one whose daemon stopped answering, stops waiting and cleans up at once,
// within bounded time.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { BuildError, OutputTail, type FailedStep } from './build-error.js';
import { explainMiss } from './cache/explain.js';
import type { FileDigestMemo } from './cache/content-digest.js';
import { baseKey, digestOf, stepKey } from './cache/key.js';
import { CacheStore, defaultCacheDir, writeFileAtomic, type CacheEntry, type StepInputsRecord } from './cache/store.js';
import { exportCache, importCache } from './cache/transfer.js';
import { manifestDigestOf, prepareOutput, type OutputSpec, type PreparedOutput } from './export/exporters.js';
import { loadIgnoreRules } from './context/ignore.js';
import { ChownError } from './copy/chown.js';
import { CopyDestinationError } from './copy/layout.js';
import { CopyTargetError } from './copy/apply.js';
import { SourceNotFoundError } from './copy/resolve.js';
import { ContextFs, type SourceFs } from './copy/source-fs.js';
import { abortReason, onAbort, sharedAbortController } from './abort.js';
import { ContainerRegistry, removeOrphanedContainers } from './docker/container.js';
import { checkDaemon, connectDocker, connectionFailure, daemonArchitecture, connectionLostMessage, DaemonError, daemonMessage, pingDaemon, statusCodeOf, withTimeout } from './docker/daemon.js';
import { DaemonWatchdog } from './docker/watchdog.js';
import { CommandFailedError, runNetworkMode, type ResourceLimits } from './docker/executor.js';
import { ImageCatalog } from './docker/catalog.js';
import { NetworkSandboxes } from './docker/network-sandbox.js';
import { inspectImage, readImageConfig, tagImage, tagProblem } from './docker/images.js';
import { DockerfileSyntaxError, sourceLineAt } from './dockerfile/errors.js';
import { parseDockerfile } from './dockerfile/parser.js';
import type { BuildErrorEvent, BuildEvent, BuildSummary, EventListener, StepRef } from './events.js';
import { formatPlatform } from './expand/args.js';
import { imagesLoadedWith, materialize } from './image/assemble.js';
import { cloneConfig, configWithoutTimes, imageIdOf, type ImageConfig } from './image/config.js';
import { KnownFs } from './image/known-fs.js';
import { withCachedStep, withConfigOnly, withMetadataStep, type ImageState } from './image/state.js';
import type { CopyAction, DispatchedStep } from './plan/dispatch.js';
import { planFromAst, type BuildPlan, type StagePlan } from './plan/plan.js';
import { CancelledError, Scheduler, WorkPool } from './schedule/scheduler.js';
import type { StepContext, StepOutcome } from './steps/context.js';
import { executeCopy, prepareCopy, type PreparedCopy, type ResolvedCopySource } from './steps/copy.js';
import { prepareBinds, type PreparedBinds } from './steps/bind-sources.js';
import { prepareMounts } from './steps/mounts.js';
import { executeRun } from './steps/run.js';
import { executeWorkdir } from './steps/workdir.js';
import { createTempDir, removeOrphanedTempDirs, removeTempDir } from './temp-dirs.js';

export type PullPolicy = 'missing' | 'always' | 'never';

export interface BuildOptions {
  /** Build context directory. */
  context: string;
  /** Dockerfile path (default: CONTEXT/Dockerfile); relative paths are relative to the working directory. */
  dockerfile?: string;
  /** Dockerfile text, instead of reading `dockerfile`. */
  dockerfileText?: string;
  tags?: string[];
  target?: string;
  buildArgs?: ReadonlyMap<string, string> | Record<string, string>;
  labels?: ReadonlyMap<string, string> | Record<string, string>;
  platform?: string;
  network?: 'default' | 'none' | 'host';
  noCache?: boolean;
  /** Stages whose steps ignore the cache. */
  noCacheFilter?: string[];
  cacheDir?: string;
  /** Exported cache directories to import before building (`--cache-from type=local,src=DIR`). */
  cacheFrom?: string[];
  /** Directory to export the entries this build used to (`--cache-to type=local,dest=DIR`). */
  cacheTo?: string;
  jobs?: number;
  /** Daemon work shared with other builds of this process (bake): identical steps run once. */
  pool?: WorkPool;
  pull?: PullPolicy;
  iidfile?: string;
  limits?: ResourceLimits;
  /** `id → file path` or `id → { env }` for RUN --mount=type=secret. */
  secrets?: ReadonlyMap<string, { file?: string; env?: string }>;
  onEvent?: EventListener;
  signal?: AbortSignal;
  docker?: Docker;
  /** Where to write the image besides the daemon (`--output`). */
  outputs?: OutputSpec[];
  /** Write the image ID, tags and digests as JSON to this file (`--metadata-file`). */
  metadataFile?: string;
  /**
   * Only compute cache keys and report which steps would run and why (`cache explain`):
   * nothing is executed, loaded or tagged.
   */
  dryRun?: boolean;
}

/** After an interrupt (or a daemon lost), how long the build's own work may take to wind down before cleanup starts anyway. */
const windDownMs = 1500;
/** How long cleanup may wait for the daemon to remove containers: after an interrupt, and normally. */
const hurriedCleanupMs = 3000;
const cleanupMs = 30_000;

/** Remembered file digests kept across builds (~120 bytes each on disk). */
const memoLimit = 200_000;

/** The last `limit` entries of a map, in order. */
function newest<K, V>(map: ReadonlyMap<K, V> | ReadonlyArray<[K, V]>, limit: number): Array<[K, V]> {
  const entries = [...map];
  return entries.length > limit ? entries.slice(entries.length - limit) : entries;
}

/**
 * The memo's entries with those this build used moved last, so what is trimmed when it is saved is
 * what no build used lately (the order is saved with the next change; a build that changed nothing
 * writes nothing). Reordering once at the end costs less than moving every hit during the walk.
 */
function usedLast<K, V>(map: ReadonlyMap<K, V>, used: ReadonlySet<K>): Array<[K, V]> {
  const entries = [...map];
  return [...entries.filter(([key]) => !used.has(key)), ...entries.filter(([key]) => used.has(key))];
}

/** The last event of a failed build: the message, and where it points (a step, or a Dockerfile position). */
function buildErrorEvent(error: unknown): BuildErrorEvent {
  const event: BuildErrorEvent = { type: 'build-error', time: Date.now(), message: error instanceof Error ? error.message : String(error) };
  if (error instanceof BuildError && error.step) event.stepId = error.step.id;
  if (error instanceof DockerfileSyntaxError) event.location = error.location;
  return event;
}

/**
 * A file the user asked for (`--iidfile`, `--metadata-file`), written atomically into an existing
 * directory (as docker build does, none is created); failures are BuildErrors.
 */
async function writeUserFile(flag: string, path: string, data: string): Promise<void> {
  try {
    await writeFileAtomic(path, data, { createDirectory: false });
  } catch (error) {
    throw new BuildError(`cannot write ${flag} ${path}: ${(error as Error).message}`);
  }
}

export interface BuildResult {
  /** Label value of every container this build created (`io.msbuild.build`). */
  buildId: string;
  imageId: string;
  tags: string[];
  summary: BuildSummary;
  /** The target stage's final config, exactly as written. */
  config: ImageConfig;
  /** Final image of every stage that ran, by stage name. */
  stageImages: Map<string, string>;
  /** Cache keys of the steps this build ran or reused. */
  cacheKeys: string[];
}

/** Stage result handed to stages that build on or copy from it. */
interface StageOutcome {
  state: ImageState;
  key: string;
  /** In a dry run: the stage would run a step, so its result does not exist yet. */
  virtual?: boolean;
}

function toMap(value: ReadonlyMap<string, string> | Record<string, string> | undefined): Map<string, string> {
  if (!value) return new Map();
  return value instanceof Map ? new Map(value) : new Map(Object.entries(value));
}

function defaultJobs(): number {
  // Most of a step's time is the daemon waiting on containers; BuildKit sets no limit at all.
  return 8;
}

/** A PreparedCopy whose dispose() runs at most once (a prefetch may be disposed by its step and its stage). */
function onlyOnce(prepared: PreparedCopy): PreparedCopy {
  let disposed: Promise<void> | undefined;
  return { ...prepared, dispose: () => (disposed ??= prepared.dispose()) };
}

export async function build(options: BuildOptions): Promise<BuildResult> {
  const run = new Build(options);
  return run.execute();
}

export class Build {
  readonly id = randomBytes(6).toString('hex');
  private readonly docker: Docker;
  private readonly registry = new ContainerRegistry();
  private sandboxes: NetworkSandboxes | undefined;
  private readonly contextDir: string;
  private readonly dockerfilePath: string | undefined;
  private readonly store: CacheStore;
  private tempDir = '';
  private plan!: BuildPlan;
  private contextFs!: SourceFs;
  private memo: Map<string, string> = new Map();
  private memoChanged = false;
  /** Keys whose entry pointed at an image the daemon no longer has (the miss says so). */
  private readonly imageRemovedKeys = new Set<string>();
  /** Memo entries this build read, so the saved memo keeps them longest. */
  private readonly memoUsed = new Set<string>();
  private readonly started = Date.now();
  private stepsRun = 0;
  private stepsCached = 0;
  private secondsSaved = 0;
  private readonly timings = new Map<string, { start: number; end: number; deps: string[] }>();
  private readonly stageSizes = new Map<string, number>();
  private readonly stageImages = new Map<string, string>();
  private readonly baseImageIds = new Map<string, string>();
  private readonly usedKeys = new Set<string>();
  private readonly catalog: ImageCatalog;
  /** SOURCE_DATE_EPOCH (a build arg): history and config times, and clamped file times of layers msbuild writes. */
  private epoch: Date | undefined;
  /** COPY --from content digests by (image, sources): a stage rebuilt to the same image needs no fetch. */
  private fromDigests = new Map<string, string>();
  /** Aborted when the build must stop: interrupted (the caller's signal) or the daemon stopped answering. */
  private readonly stop = sharedAbortController();
  private watchdog: DaemonWatchdog | undefined;
  /** Temp dirs of killed msbuild processes, being removed while the build starts. */
  private orphanedTempDirs: Promise<void> = Promise.resolve();
  private orphanedContainers: Promise<void> = Promise.resolve();
  private tempDirCreated: Promise<string> = Promise.resolve('');

  constructor(private readonly options: BuildOptions) {
    this.docker = options.docker ?? connectDocker();
    this.contextDir = resolve(options.context);
    this.dockerfilePath =
      options.dockerfileText !== undefined && options.dockerfile === undefined
        ? undefined
        : options.dockerfile === undefined
          ? join(this.contextDir, 'Dockerfile')
          : isAbsolute(options.dockerfile)
            ? options.dockerfile
            : resolve(options.dockerfile);
    this.store = new CacheStore(options.cacheDir ?? defaultCacheDir());
    this.catalog = new ImageCatalog(this.docker);
  }

  private emit(event: BuildEvent): void {
    this.options.onEvent?.(event);
  }

  async execute(): Promise<BuildResult> {
    const outer = this.options.signal;
    const unlink = onAbort(outer, () => this.stop.abort(outer?.reason));
    try {
      return await this.windingDown(this.executeInner());
    } catch (error) {
      const reported = await this.explained(error);
      this.emit(buildErrorEvent(reported));
      throw reported;
    } finally {
      unlink();
      this.watchdog?.stop();
      await this.cleanUp();
    }
  }

  /**
   * `work`, until the build is stopped (interrupted, or the daemon stopped answering): then it gets
   * `windDownMs` to end by itself (steps see the abort and return at once), and after that the build
   * stops waiting for it: a daemon call that never returns cannot hold the cleanup and the exit.
   */
  private windingDown<T>(work: Promise<T>): Promise<T> {
    work.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let unlink = () => undefined as void;
    const abandoned = new Promise<never>((_, reject) => {
      unlink = onAbort(this.stop.signal, () => {
        timer = setTimeout(() => reject(abortReason(this.stop.signal)), windDownMs);
      });
    });
    abandoned.catch(() => undefined);
    return Promise.race([work, abandoned]).finally(() => {
      unlink();
      clearTimeout(timer);
    });
  }

  /** Everything the build holds, released: bounded in time when the build was stopped or the daemon is gone. */
  private async cleanUp(): Promise<void> {
    const within = this.stop.signal.aborted || this.watchdog?.dead ? hurriedCleanupMs : cleanupMs;
    await this.sandboxes?.close(within);
    const left = await this.registry.removeAll(within);
    if (left > 0) {
      this.emit({
        type: 'warning',
        time: Date.now(),
        message: `${left} container(s) could not be removed (the Docker daemon is gone or did not answer within ${within / 1000}s); the next msbuild build removes them`,
        containersLeft: left,
      });
    }
    // Made while the plan was, so it may exist although planning failed.
    const tempDir = await this.tempDirCreated.catch(() => '');
    if (tempDir !== '') await removeTempDir(tempDir);
    // A stopped build does not ask the daemon about images it may not have made: those entries go.
    if (this.stop.signal.aborted) this.pendingEntries.clear();
    else await this.recordLoaded();
    await this.orphanedTempDirs;
    await withTimeout(this.orphanedContainers, within, () => new Error('no answer')).catch(() => undefined);
    if (this.memoChanged) {
      await this.store.writeJson('file-digests.json', Object.fromEntries(newest(usedLast(this.memo, this.memoUsed), memoLimit))).catch(() => undefined);
      await this.store.writeJson('from-digests.json', Object.fromEntries(newest(this.fromDigests, memoLimit))).catch(() => undefined);
    }
  }

  /**
   * The error to report. A connection-level error (refused, reset, hang-up) means the daemon went
   * away, unless the daemon still answers (an ADD URL download can fail the same way): then it is
   * said so, naming the step and DOCKER_HOST.
   */
  private async explained(error: unknown, during?: string): Promise<unknown> {
    const dead = this.watchdog?.dead;
    if (dead && !this.options.signal?.aborted) return dead;
    const why = connectionFailure(error);
    // An answer of the daemon refusing something outside any step (tagging, inspecting: a full disk,
    // say) is not msbuild's bug: it is reported plainly, as the daemon words it.
    const refused = statusCodeOf(error);
    if (why === undefined && refused !== undefined) {
      return new DaemonError(`the Docker daemon refused (HTTP ${refused}): ${daemonMessage(error)}`, { cause: error });
    }
    if (why === undefined || this.options.signal?.aborted) return error;
    if (await pingDaemon(this.docker, 2000).then(() => true, () => false)) return error;
    const message = connectionLostMessage(why);
    if (error instanceof BuildError && error.step) return new BuildError(message, error.step);
    return new DaemonError(during ? `${during}: ${message}` : message);
  }

  /**
   * Cache entries of steps whose image exists only once the stage is loaded (layers msbuild wrote
   * onto a scratch stage), by that image's ID: written when the load succeeded, so the index never
   * points at an image that was never made.
   */
  private readonly pendingEntries = new Map<string, CacheEntry[]>();

  /**
   * Writes the pending entries whose image was loaded: `loaded` IDs when the caller knows them, else
   * those the daemon has (asked briefly; not at all when it stopped answering). The rest are dropped.
   */
  private async recordLoaded(loaded?: readonly string[]): Promise<void> {
    const ids = loaded ?? [...this.pendingEntries.keys()];
    for (const id of ids) {
      const entries = this.pendingEntries.get(id);
      if (!entries) continue;
      this.pendingEntries.delete(id);
      const exists =
        loaded !== undefined ||
        (!this.watchdog?.dead && (await withTimeout(inspectImage(this.docker, id), 2000, () => new Error('no answer')).then((found) => found !== undefined, () => false)));
      if (!exists) continue;
      for (const entry of entries) await this.store.put(entry);
    }
  }

  /** What is checked before any work: the tags, and no image ID file of an earlier build left. */
  private async checkRequest(): Promise<void> {
    for (const tag of this.options.tags ?? []) {
      const problem = tagProblem(tag);
      if (problem) throw new BuildError(`invalid tag ${JSON.stringify(tag)}: ${problem}`);
    }
    // As docker build does: a failed build must not leave the image ID of an earlier one.
    if (this.options.iidfile) await rm(this.options.iidfile, { force: true });
  }

  private async executeInner(): Promise<BuildResult> {
    await this.checkRequest();
    // The first answer of the daemon takes a new connection (~20 ms): read the Dockerfile meanwhile.
    const daemonAnswer = checkDaemon(this.docker);
    const dockerfileText = this.options.dockerfileText !== undefined ? Promise.resolve(this.options.dockerfileText) : this.readDockerfile();
    dockerfileText.catch(() => undefined);
    await daemonAnswer;
    this.watchdog = new DaemonWatchdog(this.docker, (error) => this.stop.abort(error));
    this.watchdog.start();
    let architecture: Promise<string> | undefined;
    this.sandboxes = new NetworkSandboxes(this.docker, this.registry, this.id, () => (architecture ??= daemonArchitecture(this.docker)));
    // Leftovers of killed builds are removed beside this one (they are no concern of its steps).
    this.orphanedTempDirs = removeOrphanedTempDirs().then((removed) => {
      if (removed > 0) this.emit({ type: 'warning', time: Date.now(), message: `removed ${removed} temporary director${removed === 1 ? 'y' : 'ies'} left by an interrupted msbuild` });
    });
    this.orphanedContainers = removeOrphanedContainers(this.docker).then(
      (removed) => {
        if (removed > 0) this.emit({ type: 'warning', time: Date.now(), message: `removed ${removed} container(s) left by an interrupted msbuild` });
      },
      () => undefined,
    );
    for (const dir of this.options.cacheFrom ?? []) {
      const imported = await importCache(this.docker, this.store, dir);
      this.emit({ type: 'warning', time: Date.now(), message: `cache from ${dir}: ${imported.imported} entries imported, ${imported.alreadyPresent} already present` });
    }
    // What the steps need besides the plan is read while the plan is made.
    this.tempDirCreated = createTempDir(this.id);
    const ignoreRules = loadIgnoreRules(this.contextDir, this.dockerfilePath);
    const memo = this.store.readJson<Record<string, string>>('file-digests.json');
    const fromDigests = this.store.readJson<Record<string, string>>('from-digests.json');
    for (const pending of [this.tempDirCreated, ignoreRules]) pending.catch(() => undefined);
    const text = await dockerfileText;
    const fileName = this.options.dockerfile ?? 'Dockerfile';
    const ast = parseDockerfile(text, { file: fileName });
    const pull = this.options.pull ?? 'missing';
    this.plan = await planFromAst(ast, {
      file: fileName,
      target: this.options.target,
      buildArgs: toMap(this.options.buildArgs),
      platform: this.options.platform,
      // An image that cannot be had fails its FROM step when the stage starts, so the error names it.
      resolveBaseImage: async (ref) => (await this.baseImage(ref, pull).catch(() => undefined))?.config,
    });
    for (const arg of this.plan.unusedBuildArgs) {
      this.emit({ type: 'warning', time: Date.now(), message: `build arg ${arg} was given but no stage declares it (ARG ${arg})` });
    }
    const epochArg = this.plan.buildArgs.get('SOURCE_DATE_EPOCH');
    if (epochArg !== undefined && epochArg !== '') {
      if (!/^\d+$/.test(epochArg)) throw new BuildError(`invalid SOURCE_DATE_EPOCH ${JSON.stringify(epochArg)}: expected seconds since 1970`);
      this.epoch = new Date(Number(epochArg) * 1000);
    }
    this.tempDir = await this.tempDirCreated;
    this.contextFs = new ContextFs(this.contextDir, await ignoreRules);
    this.memo = new Map(Object.entries((await memo) ?? {}));
    this.fromDigests = new Map(Object.entries((await fromDigests) ?? {}));
    const jobs = this.options.pool?.jobs ?? this.options.jobs ?? defaultJobs();
    this.emit({
      type: 'build-start',
      time: Date.now(),
      buildId: this.id,
      target: this.plan.target.displayName,
      jobs,
      stages: this.plan.stages.map((stage) => ({
        name: stage.node.displayName,
        index: stage.node.index,
        dependsOn: [...new Set(stage.node.dependencies.map((d) => this.plan.graph.stages[d.stage].displayName))],
        steps: stage.steps.filter((s) => s.counted).length,
      })),
    });

    this.runStepsLeft = this.plan.stages.reduce((sum, stage) => sum + stage.steps.filter((step) => step.action.kind === 'run').length, 0);
    const scheduler = new Scheduler<StageOutcome>(this.options.pool ?? new WorkPool(jobs), this.stop.signal);
    const runners = this.plan.stages.map((stage) =>
      this.runStage(stage, scheduler).then(
        (outcome) => scheduler.stageDone(stage.node.index, outcome),
        (error: unknown) => {
          scheduler.cancel(error);
          scheduler.stageFailed(stage.node.index, error);
        },
      ),
    );
    await Promise.all(runners);
    if (scheduler.failure !== undefined) throw this.reportable(scheduler.failure);
    const target = await scheduler.waitForStage(this.plan.target.index);
    if (this.options.dryRun) return this.dryRunResult(target);
    return this.finish(target.state);
  }

  private async readDockerfile(): Promise<string> {
    try {
      return await readFile(this.dockerfilePath as string, 'utf8');
    } catch (error) {
      throw new BuildError(`cannot read Dockerfile ${this.dockerfilePath}: ${(error as Error).message}`);
    }
  }

  private readonly baseImages = new Map<string, Promise<{ id: string; config: ImageConfig }>>();

  /** A base (or COPY --from) image by reference: its ID and config, pulled per the policy. */
  private baseImage(ref: string, pull: PullPolicy): Promise<{ id: string; config: ImageConfig }> {
    let pending = this.baseImages.get(ref);
    if (!pending) {
      pending = this.resolveImage(ref, pull);
      this.baseImages.set(ref, pending);
    }
    return pending;
  }

  private async resolveImage(ref: string, pull: PullPolicy): Promise<{ id: string; config: ImageConfig }> {
    let found = pull === 'always' ? undefined : await readImageConfig(this.docker, ref);
    if (!found && pull !== 'never') {
      await this.pullImage(ref);
      found = await readImageConfig(this.docker, ref);
    }
    if (!found) {
      const stages = [...this.plan?.graph.byName.keys() ?? []];
      const hint = stages.length > 0 ? ` (stages in this Dockerfile: ${stages.join(', ')})` : '';
      throw new BuildError(`image "${ref}" is not in the daemon and was not pulled (--pull=never); it is not a stage name either${hint}`);
    }
    this.baseImageIds.set(ref, found.id);
    return found;
  }

  private async pullImage(ref: string): Promise<void> {
    try {
      const stream = await this.docker.pull(ref);
      await new Promise<void>((resolvePull, reject) => {
        this.docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolvePull()));
      });
    } catch (error) {
      const stages = [...(this.plan?.graph.byName.keys() ?? [])];
      const hint = stages.length > 0 ? `; it is not a stage of this Dockerfile either (stages: ${stages.join(', ')})` : '';
      throw new BuildError(`cannot pull image "${ref}": ${daemonMessage(error)}${hint}`);
    }
  }

  private stepRef(stage: StagePlan, step: DispatchedStep | undefined, index: number, total: number): StepRef {
    return {
      id: `${stage.node.index}.${index}`,
      stage: stage.node.displayName,
      stageIndex: stage.node.index,
      index,
      total,
      name: step ? step.displayText : `FROM ${stage.node.baseName}`,
      line: step ? step.instruction.range.start.line : stage.node.definition.from.range.start.line,
    };
  }

  private failedStep(ref: StepRef): FailedStep {
    return {
      id: ref.id,
      label: `[${ref.stage} ${ref.index}/${ref.total}] ${ref.name}`,
      file: this.plan.ast.file,
      line: ref.line,
      sourceLine: sourceLineAt(this.plan.ast.source, ref.line),
    };
  }

  /** Turns a failure into the error the user sees (cancellations point at the real failure). */
  private reportable(error: unknown): Error {
    if (error instanceof Error) return error;
    return new BuildError(String(error));
  }

  private async startState(stage: StagePlan, scheduler: Scheduler<StageOutcome>): Promise<StageOutcome> {
    const base = stage.node.base;
    const platform = formatPlatform(this.plan.platform);
    if (base.kind === 'stage') {
      const parent = await scheduler.waitForStage(base.stage);
      const config = cloneConfig(stage.start.config);
      config.rootfs = parent.state.config.rootfs;
      config.history = parent.state.config.history;
      return { state: { ...parent.state, config, imageId: undefined, knownFs: parent.state.knownFs?.clone() }, key: parent.key };
    }
    if (base.kind === 'scratch') {
      return {
        state: { config: cloneConfig(stage.start.config), knownFs: new KnownFs() },
        key: baseKey({ kind: 'scratch' }, platform),
      };
    }
    const image = await this.baseImage(base.ref, this.options.pull ?? 'missing');
    return {
      state: { config: cloneConfig(stage.start.config), layerImageId: image.id },
      key: baseKey({ kind: 'image', id: image.id }, platform),
    };
  }

  private context(signal: AbortSignal, onLog: (stream: 'stdout' | 'stderr', text: string) => void): StepContext {
    return {
      docker: this.docker,
      registry: this.registry,
      buildId: this.id,
      tempDir: this.tempDir,
      network: this.options.network ?? 'default',
      ...(this.sandboxes ? { sandboxes: this.sandboxes } : {}),
      limits: this.options.limits ?? {},
      ...(this.epoch ? { epoch: this.epoch } : {}),
      signal,
      log: onLog,
    };
  }

  private stepIdentity(stage: StagePlan, index: number): string {
    return digestOf({ context: this.contextDir, dockerfile: this.dockerfilePath ?? '(inline)', stage: stage.node.displayName, index });
  }

  private memoView(): FileDigestMemo {
    return {
      get: (identity) => {
        const digest = this.memo.get(identity);
        if (digest !== undefined) this.memoUsed.add(identity);
        return digest;
      },
      set: (identity, digest) => {
        this.memo.set(identity, digest);
        this.memoChanged = true;
      },
    };
  }

  private async copySource(action: CopyAction, scheduler: Scheduler<StageOutcome>): Promise<ResolvedCopySource | undefined> {
    const source = action.source;
    if (source.kind === 'context') return { kind: 'context', fs: this.contextFs };
    if (source.kind === 'stage') {
      const outcome = await scheduler.waitForStage(source.stage);
      // In a dry run a stage that would rebuild has no image to read yet.
      if (outcome.virtual) return undefined;
      // Any image with the stage's layers will do to read its files.
      const image = outcome.state.imageId ?? outcome.state.layerImageId ?? (await this.loaded(outcome.state, scheduler.signal)).imageId;
      if (image === undefined) throw new Error('internal: a finished stage has no image');
      return { kind: 'image', image, description: `stage ${this.plan.graph.stages[source.stage].displayName}` };
    }
    const image = await this.baseImage(source.ref, this.options.pull ?? 'missing');
    return { kind: 'image', image: image.id, description: `image ${source.ref}` };
  }

  /** RUN steps of the plan not yet finished (cached, run or failed). */
  private runStepsLeft = 0;

  /**
   * On a cache miss with RUN steps still to come, starts a network namespace for them: a fully
   * cached build, or one whose misses come after its last RUN, starts none (it would only add a
   * container to remove).
   */
  private warmSandboxes(current: DispatchedStep): void {
    const later = this.runStepsLeft - (current.action.kind === 'run' ? 1 : 0);
    if (this.sandboxesWarmed || !this.sandboxes || later <= 0) return;
    this.sandboxesWarmed = true;
    const modes = new Set<string>();
    for (const stage of this.plan.stages) {
      for (const step of stage.steps) {
        if (step.action.kind === 'run' && step.action.security !== 'insecure') modes.add(runNetworkMode(step.action.network, this.options.network ?? 'default'));
      }
    }
    for (const mode of modes) if (mode === 'none' || mode === 'bridge') this.sandboxes.prewarm(mode);
  }

  private sandboxesWarmed = false;

  /** After the last RUN the namespaces go, while the build finishes its other steps. */
  private runStepDone(): void {
    this.runStepsLeft--;
    if (this.runStepsLeft === 0) this.sandboxes?.retire();
  }

  /** Why the cache is not consulted for `stage`'s steps, if the options say so. */
  private cacheBypass(stage: StagePlan): string | undefined {
    if (this.options.noCache) return '--no-cache: every step runs';
    const filter = this.options.noCacheFilter ?? [];
    if (filter.includes(stage.node.displayName) || filter.includes(stage.node.name)) {
      return `--no-cache-filter names stage ${stage.node.displayName}`;
    }
    return undefined;
  }

  private async cachedState(key: string, stage: StagePlan): Promise<CacheEntry | undefined> {
    if (this.cacheBypass(stage) !== undefined) return undefined;
    const entry = await this.store.get(key);
    if (!entry) return undefined;
    if (!(await this.catalog.has(entry.imageId))) {
      // The image was removed from the daemon (docker image prune): a miss, and a stale entry less.
      this.imageRemovedKeys.add(key);
      await this.store.remove(key);
      return undefined;
    }
    await this.store.touch(key);
    return entry;
  }

  private async runStage(stage: StagePlan, scheduler: Scheduler<StageOutcome>): Promise<StageOutcome> {
    const counted = stage.steps.filter((s) => s.counted).length;
    const fromImage = stage.node.base.kind === 'image';
    const total = counted + (fromImage ? 1 : 0);
    let index = 0;
    const stageStart = Date.now();
    let current: StageOutcome;
    if (fromImage) {
      const ref = this.stepRef(stage, undefined, ++index, total);
      this.emit({ type: 'step-start', time: Date.now(), step: ref });
      try {
        current = await this.startState(stage, scheduler);
      } catch (error) {
        const failure = this.stepError(error, ref, new OutputTail(20));
        this.emit({ type: 'step-error', time: Date.now(), stepId: ref.id, message: failure instanceof BuildError ? failure.reason : String(failure), cancelled: false });
        throw failure;
      }
      this.emit({ type: 'step-done', time: Date.now(), stepId: ref.id, seconds: (Date.now() - stageStart) / 1000, layerSize: 0 });
      this.timings.set(ref.id, { start: stageStart, end: Date.now(), deps: [] });
    } else {
      current = await this.startState(stage, scheduler);
    }
    const prefetches = this.prefetchCopies(stage, scheduler);
    try {
      return await this.runSteps(stage, scheduler, current, prefetches, fromImage, index, total);
    } catch (error) {
      // Cancel the rest now: the prefetches below may be waiting for a stage that is still running.
      scheduler.cancel(error);
      throw error;
    } finally {
      // Fetched files a failed or cached stage never used.
      await Promise.all([...prefetches.values()].map((p) => p.then((prepared) => prepared?.dispose(), () => undefined)));
    }
  }

  /**
   * Starts fetching what the stage's COPY --from steps read as soon as each source is ready, so the
   * stage's steps (which run one after another) do not wait for fetches one by one. Skipped when the
   * source was digested before: then a cache hit needs no fetch at all.
   */
  private prefetchCopies(stage: StagePlan, scheduler: Scheduler<StageOutcome>): Map<DispatchedStep, Promise<PreparedCopy | undefined>> {
    const prefetches = new Map<DispatchedStep, Promise<PreparedCopy | undefined>>();
    if (this.options.dryRun) return prefetches;
    for (const step of stage.steps) {
      const action = step.action;
      if (action.kind !== 'copy' || action.source.kind === 'context') continue;
      const prefetch = this.copySource(action, scheduler).then(async (source) => {
        if (!source || source.kind !== 'image') return undefined;
        if (this.fromDigests.has(this.fromKeyOf(source.image, action))) return undefined;
        const context = this.context(scheduler.signal, () => undefined);
        return onlyOnce(await prepareCopy(context, action, source, undefined, new Date()));
      });
      prefetch.catch(() => undefined);
      prefetches.set(step, prefetch);
    }
    return prefetches;
  }

  private fromKeyOf(image: string, action: CopyAction): string {
    return digestOf({ image, sources: action.sources, excludes: action.excludes, unpack: action.unpack });
  }

  private async runSteps(
    stage: StagePlan,
    scheduler: Scheduler<StageOutcome>,
    start: StageOutcome,
    prefetches: ReadonlyMap<DispatchedStep, Promise<PreparedCopy | undefined>>,
    fromImage: boolean,
    stepsSoFar: number,
    total: number,
  ): Promise<StageOutcome> {
    let current = start;
    let index = stepsSoFar;
    // Known only now: startState waited for the base stage.
    let previousStepId: string | undefined = fromImage
      ? `${stage.node.index}.1`
      : stage.node.base.kind === 'stage'
        ? this.lastStepOf(stage.node.base.stage)
        : undefined;
    for (const step of stage.steps) {
      scheduler.throwIfCancelled();
      const time = new Date();
      if (!step.counted || step.action.kind === 'config') {
        // Metadata changes no file: like BuildKit, it is not part of later steps' keys (what a later
        // step depends on — env, user, workdir — is in that step's own key).
        current = {
          state: withMetadataStep(current.state, step.configAfter, step.history, time, this.epoch),
          key: current.key,
          ...(current.virtual ? { virtual: true } : {}),
        };
        if (!step.counted) continue;
      }
      const ref = this.stepRef(stage, step, ++index, total);
      if (step.action.kind === 'config') {
        // A counted step with nothing to do (WORKDIR /): report it as done at once.
        this.emit({ type: 'step-start', time: Date.now(), step: ref });
        this.emit({ type: 'step-done', time: Date.now(), stepId: ref.id, seconds: 0, layerSize: 0 });
        continue;
      }
      const deps = previousStepId ? [previousStepId] : [];
      let next: StageOutcome;
      try {
        next = await this.runLayerStep(stage, step, ref, current, scheduler, time, deps, prefetches.get(step));
      } finally {
        if (step.action.kind === 'run') this.runStepDone();
      }
      current = current.virtual ? { ...next, virtual: true } : next;
      previousStepId = ref.id;
    }
    if (current.virtual || this.options.dryRun) {
      this.lastSteps.set(stage.node.index, previousStepId ?? '');
      return current;
    }
    // Only the target needs an image with its exact config; other stages are read through their layers.
    const isTarget = stage.node.index === this.plan.target.index;
    const finalState =
      isTarget || current.state.layerImageId === undefined
        ? await this.stageResult(stage, current, scheduler).catch(async (error: unknown) => {
            throw await this.explained(error, `loading the image of stage ${stage.node.displayName}`);
          })
        : current.state;
    const image = (finalState.imageId ?? finalState.layerImageId) as string;
    const size = await this.catalog.size(image);
    this.stageSizes.set(stage.node.displayName, size);
    this.stageImages.set(stage.node.displayName, image);
    this.lastSteps.set(stage.node.index, previousStepId ?? '');
    this.emit({ type: 'stage-done', time: Date.now(), stage: stage.node.displayName, stageIndex: stage.node.index, imageId: image, size });
    return { state: finalState, key: current.key };
  }

  private readonly lastSteps = new Map<number, string>();

  /**
   * The stage's final image. When the stage ends with metadata steps its config must be loaded; the
   * loaded image is cached under the stage's final key so a cached rebuild loads nothing.
   */
  private async stageResult(stage: StagePlan, current: StageOutcome, scheduler: Scheduler<StageOutcome>): Promise<ImageState> {
    if (current.state.imageId !== undefined) return current.state;
    // The final config depends on metadata steps too: they are part of this key.
    const resultKey = digestOf({ layers: current.key, config: configWithoutTimes(current.state.config) });
    const known = await this.cachedState(resultKey, stage);
    if (known) return this.stateFromEntry(known);
    const state = await this.loaded(current.state, scheduler.signal);
    await this.store.put({
      key: resultKey,
      imageId: state.imageId as string,
      configImageId: state.imageId as string,
      config: state.config,
      stage: stage.node.displayName,
      step: '(stage result)',
      seconds: 0,
      layerSize: 0,
      created: new Date().toISOString(),
      ...(state.knownFs ? { knownFs: state.knownFs.toJSON() } : {}),
    });
    this.usedKeys.add(resultKey);
    return state;
  }

  /** `state` loaded into the daemon; the pending entries of the steps it loads are written then. */
  private async loaded(state: ImageState, signal: AbortSignal): Promise<ImageState> {
    if (state.imageId !== undefined) return state;
    const ids = imagesLoadedWith(state);
    const result = await materialize(this.docker, state, signal);
    await this.recordLoaded(ids);
    return result;
  }

  private lastStepOf(stageIndex: number): string {
    return this.lastSteps.get(stageIndex) ?? `${stageIndex}.0`;
  }

  private async runLayerStep(
    stage: StagePlan,
    step: DispatchedStep,
    ref: StepRef,
    current: StageOutcome,
    scheduler: Scheduler<StageOutcome>,
    time: Date,
    deps: string[],
    prefetched?: Promise<PreparedCopy | undefined>,
  ): Promise<StageOutcome> {
    const action = step.action;
    let started = Date.now();
    let prepared: PreparedCopy | undefined;
    let binds: PreparedBinds | undefined;
    const tail = new OutputTail(20);
    const onLog = (stream: 'stdout' | 'stderr', text: string) => {
      tail.push(text);
      this.emit({ type: 'step-log', time: Date.now(), stepId: ref.id, stream, text });
    };
    const context = this.context(scheduler.signal, onLog);
    let startedEvent = false;
    const emitStart = () => {
      startedEvent = true;
      this.emit({ type: 'step-start', time: Date.now(), step: ref });
    };
    const inputs: StepInputsRecord = { key: '', parentKey: current.key, instruction: step.displayText, time: time.toISOString() };
    try {
      let key: string;
      if (action.kind === 'copy') {
        const source = await this.copySource(action, scheduler);
        // The step's time starts when what it copies from is ready.
        started = Date.now();
        if (action.source.kind === 'stage') deps.push(this.lastStepOf(action.source.stage));
        if (!source) {
          const from = action.source.kind === 'stage' ? this.plan.graph.stages[action.source.stage].displayName : '';
          this.emit({ type: 'cache-miss', time: Date.now(), stepId: ref.id, reasons: [`stage ${from} will be rebuilt first`] });
          return { state: current.state, key: `unknown:${ref.id}`, virtual: true };
        }
        emitStart();
        // Files from an image are fetched only when needed: an image seen before has a known digest.
        const fromKey = source.kind === 'image' ? this.fromKeyOf(source.image, action) : undefined;
        const knownDigest = fromKey !== undefined ? this.fromDigests.get(fromKey) : undefined;
        if (knownDigest !== undefined) {
          const knownKey = stepKey(current.key, step, { contentDigest: knownDigest });
          const knownHit = await this.cachedState(knownKey, stage);
          if (knownHit) return this.reuse(knownHit, knownKey, ref, started, deps, current.state, step);
        }
        prepared = (await prefetched) ?? (await prepareCopy(context, action, source, source.kind === 'context' ? this.memoView() : undefined, time));
        if (fromKey !== undefined) {
          this.fromDigests.set(fromKey, prepared.digest.digest);
          this.memoChanged = true;
        }
        key = stepKey(current.key, step, { contentDigest: prepared.digest.digest });
        if (prepared.digest.files.size <= 5000) inputs.files = Object.fromEntries(prepared.digest.files);
        else inputs.filesDigest = prepared.digest.digest;
      } else if (action.kind === 'run' && action.mounts.some((m) => m.type === 'bind')) {
        // What a bind mount exposes is read by the step: its content is in the key, as a COPY's is
        // (cache, tmpfs and secret mounts stay out of it). A stage mounted from is waited for first.
        const stageOf = (from: string) => {
          const index = /^\d+$/.test(from) ? Number(from) : this.plan.graph.byName.get(from.toLowerCase());
          return index !== undefined && index < this.plan.graph.stages.length ? index : undefined;
        };
        const stages = new Map<number, StageOutcome>();
        for (const mount of action.mounts) {
          const index = mount.type === 'bind' && mount.from !== '' ? stageOf(mount.from) : undefined;
          if (index === undefined || stages.has(index)) continue;
          stages.set(index, await scheduler.waitForStage(index));
          deps.push(this.lastStepOf(index));
        }
        started = Date.now();
        const rebuilt = [...stages].find(([, outcome]) => outcome.virtual);
        if (rebuilt) {
          const from = this.plan.graph.stages[rebuilt[0]].displayName;
          this.emit({ type: 'cache-miss', time: Date.now(), stepId: ref.id, reasons: [`stage ${from} will be rebuilt first`] });
          return { state: current.state, key: `unknown:${ref.id}`, virtual: true };
        }
        emitStart();
        binds = await prepareBinds(context, action, {
          context: this.contextFs,
          memo: this.memoView(),
          imageDigests: {
            get: (memoKey) => this.fromDigests.get(memoKey),
            set: (memoKey, digest) => {
              this.fromDigests.set(memoKey, digest);
              this.memoChanged = true;
            },
          },
          image: async (from) => {
            const index = stageOf(from);
            const outcome = index === undefined ? undefined : stages.get(index);
            if (index === undefined || !outcome) return { image: (await this.baseImage(from, this.options.pull ?? 'missing')).id, description: `image ${from}` };
            const image = outcome.state.imageId ?? outcome.state.layerImageId ?? (await this.loaded(outcome.state, scheduler.signal)).imageId;
            if (image === undefined) throw new Error('internal: a finished stage has no image');
            return { image, description: `stage ${this.plan.graph.stages[index].displayName}` };
          },
        });
        key = stepKey(current.key, step, { mountDigests: binds.digests });
        inputs.env = [...action.env].sort();
        if (binds.files.size <= 5000) inputs.files = Object.fromEntries(binds.files);
        else inputs.filesDigest = digestOf(binds.digests);
      } else {
        emitStart();
        key = stepKey(current.key, step);
        if (action.kind === 'run') inputs.env = [...action.env].sort();
      }
      if (stage.node.base.kind === 'image' && ref.index === 2) inputs.baseImage = this.baseImageIds.get(stage.node.base.ref);
      inputs.key = key;
      const identity = this.stepIdentity(stage, ref.index);
      const hit = await this.cachedState(key, stage);
      if (hit) return this.reuse(hit, key, ref, started, deps, current.state, step);
      const bypass = this.cacheBypass(stage);
      const reasons = bypass !== undefined ? [bypass] : explainMiss(await this.store.lastInputs(identity), inputs, { imageRemoved: this.imageRemovedKeys.has(key) });
      this.emit({ type: 'cache-miss', time: Date.now(), stepId: ref.id, reasons });
      if (this.options.dryRun) return { state: current.state, key, virtual: true };
      this.warmSandboxes(step);
      const joined = scheduler.isRunning(key);
      const outcome = await scheduler.run(key, async (signal): Promise<StepOutcome> => {
        const stepContext = { ...context, signal };
        if (action.kind === 'run') {
          const mounts = await prepareMounts(stepContext, action, {
            binds,
            secrets: this.options.secrets ?? new Map(),
            lockDir: join(this.store.dir, 'cache-mount-locks'),
            state: current.state,
          });
          try {
            return await executeRun(stepContext, step, action, current.state, mounts, time);
          } finally {
            await mounts.release();
          }
        }
        if (action.kind === 'copy') return executeCopy(stepContext, step, action, prepared as PreparedCopy, current.state, time);
        if (action.kind === 'workdir') return executeWorkdir(stepContext, step, action, current.state, time);
        throw new Error('internal: a config step has no execution');
      });
      // A step cancelled while it ran is not recorded, even when its work came back: the abort may
      // have cut it short anywhere.
      scheduler.throwIfCancelled();
      const seconds = (Date.now() - started) / 1000;
      if (!joined) this.stepsRun++;
      const state = outcome.state;
      const entry: CacheEntry = {
        key,
        imageId: '',
        config: state.config,
        stage: stage.node.displayName,
        step: step.displayText,
        seconds,
        layerSize: outcome.layerSize,
        created: new Date().toISOString(),
        ...(state.knownFs ? { knownFs: state.knownFs.toJSON() } : {}),
        inputs,
      };
      if (state.layerImageId === undefined && state.imageId === undefined) {
        // A layer msbuild wrote is loaded with the stage, as an image with exactly this config's ID:
        // the entry is written once that load succeeded.
        const id = imageIdOf(state.config);
        this.pendingEntries.set(id, [...(this.pendingEntries.get(id) ?? []), { ...entry, imageId: id, configImageId: id }]);
      } else {
        await this.store.put({
          ...entry,
          imageId: (state.layerImageId ?? state.imageId) as string,
          ...(state.imageId !== undefined ? { configImageId: state.imageId } : {}),
        });
      }
      await this.store.recordInputs(identity, inputs);
      this.usedKeys.add(key);
      this.emit({ type: 'step-done', time: Date.now(), stepId: ref.id, seconds, layerSize: outcome.layerSize, ...(joined ? { shared: true } : {}) });
      this.timings.set(ref.id, { start: started, end: Date.now(), deps });
      return { state, key };
    } catch (error) {
      // The step that fails first is the one the build reports; the others were stopped because of it.
      const cancelled = error instanceof CancelledError || scheduler.signal.aborted;
      const failure = cancelled ? error : await this.explained(this.stepError(error, ref, tail));
      if (startedEvent) {
        this.emit({
          type: 'step-error',
          time: Date.now(),
          stepId: ref.id,
          message: cancelled ? 'cancelled' : failure instanceof BuildError ? failure.reason : String(failure),
          cancelled,
        });
      }
      throw failure;
    } finally {
      await prepared?.dispose();
      await binds?.dispose();
    }
  }

  /**
   * A cache hit: the step's recorded layers stand in for running it. The config comes from this
   * build's plan (metadata before the step may differ from the build that recorded it).
   */
  private reuse(hit: CacheEntry, key: string, ref: StepRef, started: number, deps: string[], state: ImageState, step: DispatchedStep): StageOutcome {
    this.stepsCached++;
    this.secondsSaved += hit.seconds;
    this.emit({ type: 'step-cached', time: Date.now(), step: ref, savedSeconds: hit.seconds });
    this.timings.set(ref.id, { start: started, end: Date.now(), deps });
    this.usedKeys.add(key);
    return { state: withCachedStep(state, hit, step.configAfter, step.history), key };
  }

  private stateFromEntry(entry: CacheEntry): ImageState {
    return {
      config: entry.config,
      // Stage results are always loaded with their config.
      imageId: entry.configImageId ?? entry.imageId,
      parentConfig: entry.config,
      layerImageId: entry.config.rootfs.diff_ids.length > 0 ? entry.imageId : undefined,
      ...(entry.knownFs ? { knownFs: new KnownFs(entry.knownFs) } : {}),
    };
  }

  /** The error for a step that failed: named after the step, with its last output lines. */
  private stepError(error: unknown, ref: StepRef, tail: OutputTail): Error {
    const step = this.failedStep(ref);
    // An error raised outside the step (a base image that cannot be found) still names the step.
    if (error instanceof BuildError) return error.step ? error : new BuildError(error.reason, step, error.outputTail, error.exitCode);
    if (error instanceof CommandFailedError) {
      return new BuildError(`process "${error.argv.join(' ')}" did not complete successfully: exit code ${error.exitCode}`, step, tail.tail, error.exitCode);
    }
    if (error instanceof SourceNotFoundError || error instanceof ChownError || error instanceof CopyDestinationError || error instanceof CopyTargetError) {
      return new BuildError(error.message, step);
    }
    const message = error instanceof Error ? daemonMessage(error) : String(error);
    return new BuildError(message, step, tail.tail, undefined, { cause: error });
  }

  private async finish(target: ImageState): Promise<BuildResult> {
    let state = target;
    const labels = toMap(this.options.labels);
    if (labels.size > 0) {
      const config = cloneConfig(state.config);
      config.config.Labels = { ...(config.config.Labels ?? {}), ...Object.fromEntries(labels) };
      state = await this.loaded(withConfigOnly(state, config), this.stop.signal);
    }
    const imageId = state.imageId as string;
    const tags = this.options.tags ?? [];
    // Outputs are written before the tags move and put in place together: a failed build leaves none.
    const outputs: PreparedOutput[] = [];
    try {
      for (const output of this.options.outputs ?? []) outputs.push(await prepareOutput(this.docker, imageId, output, tags));
      for (const tag of tags) {
        await tagImage(this.docker, imageId, tag).catch((error: unknown) => {
          throw new BuildError(`cannot tag the image as ${tag}: ${daemonMessage(error)}`);
        });
      }
      for (const output of outputs) await output.commit();
    } catch (error) {
      await Promise.all(outputs.map((output) => output.discard()));
      throw error;
    }
    if (this.options.iidfile) await writeUserFile('--iidfile', this.options.iidfile, imageId);
    let manifestDigest = outputs.find((output) => output.manifestDigest !== undefined)?.manifestDigest;
    if (this.options.metadataFile) {
      manifestDigest ??= await manifestDigestOf(this.docker, imageId);
      const metadata = {
        'containerimage.config.digest': imageId,
        ...(manifestDigest ? { 'containerimage.digest': manifestDigest } : {}),
        ...(tags.length > 0 ? { 'image.name': tags.join(',') } : {}),
        'msbuild.build.id': this.id,
      };
      await writeUserFile('--metadata-file', this.options.metadataFile, `${JSON.stringify(metadata, null, 2)}\n`);
    }
    const imageSize = await this.catalog.size(imageId);
    const summary: BuildSummary = {
      imageId,
      tags,
      seconds: (Date.now() - this.started) / 1000,
      stepsRun: this.stepsRun,
      stepsCached: this.stepsCached,
      secondsSaved: this.secondsSaved,
      imageSize,
      stageSizes: this.plan.stages
        .filter((s) => s.node.index !== this.plan.target.index)
        .map((s) => ({ stage: s.node.displayName, size: this.stageSizes.get(s.node.displayName) ?? 0 })),
      criticalPath: this.criticalPath(),
    };
    // Entries of steps loaded by a later step (a RUN after COPYs onto scratch) exist now: export them too.
    await this.recordLoaded();
    if (this.options.cacheTo) await exportCache(this.docker, this.store, this.options.cacheTo, this.usedKeys);
    this.emit({ type: 'build-done', time: Date.now(), summary });
    return { buildId: this.id, imageId, tags, summary, config: state.config, stageImages: this.stageImages, cacheKeys: [...this.usedKeys] };
  }

  private dryRunResult(target: StageOutcome): BuildResult {
    const summary: BuildSummary = {
      imageId: target.virtual ? '' : (target.state.imageId ?? ''),
      tags: [],
      seconds: (Date.now() - this.started) / 1000,
      stepsRun: 0,
      stepsCached: this.stepsCached,
      secondsSaved: this.secondsSaved,
      imageSize: 0,
      stageSizes: [],
      criticalPath: [],
    };
    return { buildId: this.id, imageId: summary.imageId, tags: [], summary, config: target.state.config, stageImages: this.stageImages, cacheKeys: [...this.usedKeys] };
  }

  /** The chain of steps that ends last, following each step's latest-finishing dependency. */
  private criticalPath(): string[] {
    let latest: string | undefined;
    for (const [id, timing] of this.timings) if (!latest || timing.end > (this.timings.get(latest)?.end ?? 0)) latest = id;
    const path: string[] = [];
    const seen = new Set<string>();
    while (latest && !seen.has(latest)) {
      seen.add(latest);
      path.unshift(latest);
      const deps: string[] = this.timings.get(latest)?.deps ?? [];
      latest = deps.filter((d) => this.timings.has(d)).sort((a, b) => (this.timings.get(b)?.end ?? 0) - (this.timings.get(a)?.end ?? 0))[0];
    }
    return path;
  }
}
