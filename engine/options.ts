// What a build is asked to do (`BuildOptions`, the library's input), and the same with every default
// filled in once (`resolveOptions`): the rest of the engine reads resolved options only.
import { isAbsolute, join, resolve } from 'node:path';
import type { CacheSession } from './cache/session.js';
import { defaultCacheDir } from './cache/store.js';
import type { DockerClient } from './docker/daemon.js';
import { UsageError } from './errors.js';
import type { EventListener } from './events.js';
import { imageNames, type OutputSpec } from './export/exporters.js';
import type { RegistryOptions } from './registry/client.js';
import type { WorkPool } from './solver/scheduler.js';
import type { NetworkMode, ResourceLimits } from './worker/container-spec.js';
import type { PullPolicy, WorkerChoice } from './worker/worker.js';
export type { WorkerChoice } from './worker/worker.js';

export type { ResourceLimits } from './worker/container-spec.js';
export type { PullPolicy } from './worker/worker.js';

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
  /** Network of RUN steps: default, none, host or the name of a network of the daemon. */
  network?: NetworkMode;
  /**
   * Which worker runs the steps: `oci` (runc on msbuild's own snapshots, for a local rootful
   * overlay2 daemon), `docker` (the Engine API), or `auto` (the default): the OCI worker where it
   * can run, else the Docker worker, saying why once. Also from MSBUILD_WORKER.
   */
  worker?: WorkerChoice;
  noCache?: boolean;
  /** Stages whose steps ignore the cache. */
  noCacheFilter?: string[];
  cacheDir?: string;
  /** Exported cache directories to import before building (`--cache-from type=local,src=DIR`). */
  cacheFrom?: string[];
  /** Images whose layers serve as cache where their history matches (the legacy `--cache-from IMAGE`). */
  cacheFromImages?: string[];
  /** Directory to export the entries this build used to (`--cache-to type=local,dest=DIR`). */
  cacheTo?: string;
  /** Registry caches to read first (`--cache-from type=registry,ref=REF`, or an image with an inline cache). */
  registryCacheFrom?: string[];
  /** Write the cache this build used to a registry (`--cache-to type=registry,ref=REF,mode=min|max`). */
  registryCacheTo?: { ref: string; mode: 'min' | 'max'; ignoreError?: boolean };
  /** Put the target's cache into the image's config (`--cache-to type=inline`). */
  inlineCache?: boolean;
  jobs?: number;
  /** Daemon work shared with other builds of this process (bake): identical steps run once. */
  pool?: WorkPool;
  /** The cache session shared with other builds of this process (bake); its owner saves it. */
  cacheSession?: CacheSession;
  pull?: PullPolicy;
  iidfile?: string;
  limits?: ResourceLimits;
  /** `id → file path` or `id → { env }` for RUN --mount=type=secret. */
  secrets?: ReadonlyMap<string, { file?: string; env?: string }>;
  /** Entitlements granted (`--allow`): network.host, security.insecure. */
  allow?: string[];
  /** `--build-context NAME=docker-image://REF|target:STAGE|DIR`: replaces the stage or image NAME. */
  buildContexts?: string[];
  /** SSH agents for RUN --mount=type=ssh and ssh Git sources (`--ssh default|ID=SOCKET|ID=KEY[,KEY]`). */
  ssh?: string[];
  onEvent?: EventListener;
  signal?: AbortSignal;
  /** The daemon to build on (default: DOCKER_HOST, as the docker CLI finds it). */
  docker?: DockerClient;
  /** Where to write the image besides the daemon (`--output`). */
  outputs?: OutputSpec[];
  /** Push the image under its tags (`--push`). */
  push?: boolean;
  /** Where registry credentials and certificates are read (default: as the docker CLI and dockerd do). */
  registry?: RegistryOptions;
  /** Write the image ID, tags and digests as JSON to this file (`--metadata-file`). */
  metadataFile?: string;
  /**
   * Only compute cache keys and report which steps would run and why (`cache explain`):
   * nothing is executed, loaded or tagged.
   */
  dryRun?: boolean;
}

/** BuildOptions with every default applied, paths made absolute and maps made maps. */
export interface ResolvedOptions {
  /** The context as the user gave it (messages about it quote it so, as docker build does). */
  context: string;
  contextDir: string;
  /** The Dockerfile to read; undefined when its text was given. */
  dockerfilePath: string | undefined;
  /** The Dockerfile's name in messages (`Dockerfile:3:7`). */
  dockerfileName: string;
  dockerfileText: string | undefined;
  /** The names the image gets: -t, else the outputs' `name=` (see imageNames). */
  tags: string[];
  target: string | undefined;
  buildArgs: Map<string, string>;
  labels: Map<string, string>;
  platform: string | undefined;
  network: NetworkMode;
  worker: WorkerChoice;
  noCache: boolean;
  noCacheFilter: string[];
  cacheDir: string;
  cacheFrom: string[];
  cacheFromImages: string[];
  cacheTo: string | undefined;
  registryCacheFrom: string[];
  registryCacheTo: { ref: string; mode: 'min' | 'max'; ignoreError?: boolean } | undefined;
  inlineCache: boolean;
  /** Steps at once: the shared pool's, else the option's, else 8. */
  jobs: number;
  pool: WorkPool | undefined;
  cacheSession: CacheSession | undefined;
  pull: PullPolicy;
  iidfile: string | undefined;
  limits: ResourceLimits;
  secrets: ReadonlyMap<string, { file?: string; env?: string }>;
  allow: string[];
  buildContexts: string[];
  ssh: string[];
  emit: EventListener;
  signal: AbortSignal | undefined;
  docker: DockerClient | undefined;
  outputs: OutputSpec[];
  push: boolean;
  registry: RegistryOptions;
  metadataFile: string | undefined;
  dryRun: boolean;
}

function toMap(value: ReadonlyMap<string, string> | Record<string, string> | undefined): Map<string, string> {
  if (!value) return new Map();
  return value instanceof Map ? new Map(value) : new Map(Object.entries(value));
}

/** A worker choice as given (option or MSBUILD_WORKER); anything else is refused by name. */
export function workerChoice(value: string | undefined): WorkerChoice {
  if (value === undefined || value === '') return 'auto';
  if (value === 'auto' || value === 'oci' || value === 'docker') return value;
  throw new UsageError(`invalid worker ${JSON.stringify(value)}: use auto, oci or docker`);
}

/** Most of a step's time is the daemon waiting on containers; BuildKit sets no limit at all. */
const defaultJobs = 8;

export function resolveOptions(options: BuildOptions): ResolvedOptions {
  const contextDir = resolve(options.context);
  const dockerfilePath =
    options.dockerfileText !== undefined && options.dockerfile === undefined
      ? undefined
      : options.dockerfile === undefined
        ? join(contextDir, 'Dockerfile')
        : isAbsolute(options.dockerfile)
          ? options.dockerfile
          : resolve(options.dockerfile);
  return {
    context: options.context,
    contextDir,
    dockerfilePath,
    dockerfileName: options.dockerfile ?? 'Dockerfile',
    dockerfileText: options.dockerfileText,
    tags: imageNames(options.tags ?? [], options.outputs ?? []),
    target: options.target,
    buildArgs: toMap(options.buildArgs),
    labels: toMap(options.labels),
    platform: options.platform,
    network: options.network ?? 'default',
    worker: workerChoice(options.worker ?? process.env.MSBUILD_WORKER),
    noCache: options.noCache ?? false,
    noCacheFilter: options.noCacheFilter ?? [],
    cacheDir: options.cacheDir ?? defaultCacheDir(),
    cacheFrom: options.cacheFrom ?? [],
    cacheFromImages: options.cacheFromImages ?? [],
    cacheTo: options.cacheTo,
    registryCacheFrom: options.registryCacheFrom ?? [],
    registryCacheTo: options.registryCacheTo,
    inlineCache: options.inlineCache ?? false,
    jobs: options.pool?.jobs ?? options.jobs ?? defaultJobs,
    pool: options.pool,
    cacheSession: options.cacheSession,
    pull: options.pull ?? 'missing',
    iidfile: options.iidfile,
    limits: options.limits ?? {},
    secrets: options.secrets ?? new Map(),
    allow: options.allow ?? [],
    buildContexts: options.buildContexts ?? [],
    ssh: options.ssh ?? [],
    emit: options.onEvent ?? (() => undefined),
    signal: options.signal,
    docker: options.docker,
    outputs: options.outputs ?? [],
    push: options.push ?? false,
    registry: options.registry ?? {},
    metadataFile: options.metadataFile,
    dryRun: options.dryRun ?? false,
  };
}
