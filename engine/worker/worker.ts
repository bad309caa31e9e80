// The worker boundary (BuildKit's worker.Worker and executor.Executor): everything that touches a
// container runtime to make a step happen. The solver and the step ops above it speak only these
// types; `engine/docker/` implements them on the Engine API, and a second worker (runc on msbuild's
// own snapshots) plugs in beside it without touching the step loop.
//
// States are worker-neutral: a config whose rootfs is the chain of layers (by diff ID), plus opaque
// refs to where the worker keeps them (ImageState.imageId, layerImageId). Every worker exports into the
// same daemon, so an image ID of the daemon is a ref every worker reads, and cache entries (which
// name a result by such refs and its config) serve either worker.
import type { TargetView } from '../copy/apply.js';
import type { SourceFs } from '../copy/source-fs.js';
import { MsbuildError } from '../errors.js';
import type { ImageConfig } from '../image/config.js';
import type { ImageState } from '../image/state.js';
import type { ContainerSpec, NetworkMode } from './container-spec.js';
import type { ImageStore } from './image-store.js';

export type { ContainerSpec } from './container-spec.js';
export type { ImageStore } from './image-store.js';

/** A layer a worker made (a RUN's changes, files put into a mount), and where it keeps the result. */
export interface NewLayer {
  /** The state the layer was made on, as the worker left it (exported first when the runtime needed an image). */
  parent: ImageState;
  /** A ref holding the parent's layers and this one (docker: the committed image). */
  ref: string;
  /** The layer's diff ID; undefined when the step changed no file (no layer, as BuildKit records it). */
  diffId: string | undefined;
  /** Bytes the layer adds. */
  layerSize: number;
}

/** Where a RUN's output goes and what stops it. */
export interface ExecIO {
  signal: AbortSignal;
  onOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void;
}

/**
 * A state's files opened for a step that writes into them (COPY/ADD, WORKDIR onto an image whose
 * files msbuild does not know): read what is there, then add one layer. BuildKit's MutableRef.
 */
export interface MountedState {
  /** The files as they are (symlinks followed, small files readable: /etc/passwd for --chown). */
  view: TargetView;
  /** Adds the layer tar at `layerPath` (none: the step wrote nothing) and keeps the result. */
  commit(layerPath: string | undefined, signal: AbortSignal): Promise<NewLayer>;
  /** Gives the mount back (in the background); safe after commit and on failure. */
  release(): void;
}

/** Paths of a state's files to read (COPY --from, RUN --mount=type=bind,from=). */
export interface FilesRequest {
  /** Paths to fetch, as cleaned sources; a symlink brings what it points to. */
  paths: readonly string[];
  /** Wildcard sources whose matches are symlinks to follow too (`/usr/bin/*`). */
  patterns?: readonly string[];
  /** `stage build`, `image busybox`: for messages. */
  description: string;
}

/** A base image: its daemon ID and config. */
export interface ResolvedImage {
  id: string;
  config: ImageConfig;
}

export type PullPolicy = 'missing' | 'always' | 'never';

/** Which worker runs a build's steps: `auto` picks `oci` where it can run, else `docker`. */
export type WorkerChoice = 'auto' | 'oci' | 'docker';

/** A base image the runtime could not pull: `reason` is the registry's or daemon's words. */
export class ImagePullError extends MsbuildError {
  override readonly name = 'ImagePullError';
  override readonly code = 'MSBUILD_IMAGE_PULL';
  constructor(
    readonly ref: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`cannot pull image "${ref}": ${reason}`, options);
  }
}

/**
 * One build's worker: it owns the containers (or processes, mounts) it makes until `close`. The
 * orchestrator (engine/build.ts) makes one per build; the solver and the ops only call these methods.
 */
export interface Worker {
  /** `docker`, `oci`: shown to the user. */
  readonly name: string;
  /** The daemon's images (both workers export into it): existence, sizes, tags, saves and loads. */
  readonly images: ImageStore;

  /** Makes sure the runtime answers; leftovers of killed builds are removed in the background. */
  start(): Promise<void>;
  /**
   * Releases everything: waits `withinMs` for a runtime that does not answer, longer (bounded) for one
   * that answers but is slow. Returns how many resources may be left.
   */
  close(withinMs: number): Promise<number>;
  /** Set once the runtime stopped answering (the build stops then): the error to report. */
  readonly lost: Error | undefined;
  /**
   * The error to report for `error`: a connection-level failure means the runtime went away unless
   * it still answers (then `error` as it is); an answer of the runtime refusing something is worded
   * as its refusal. `during` says what was being done, when no step was; an `interrupted` build
   * reports what it got.
   */
  explainFailure(error: unknown, context?: { during?: string; interrupted?: boolean }): Promise<unknown>;

  /**
   * Refuses, before any step runs, what only the runtime can say it lacks: a named network RUNs
   * join (`--network NAME`), a platform other than its own (`--platform`). Optional: a worker
   * without it accepts only the built-in network modes and the host's platform.
   */
  checkRequest?(request: { network: NetworkMode; platform: string | undefined }): Promise<void>;
  /** A base image by reference, pulled per `pull`; undefined when it is not there and may not be pulled. */
  resolveImage(ref: string, pull: PullPolicy): Promise<ResolvedImage | undefined>;
  /** RUN: runs `spec` on the state's files; its changes are the new layer. Throws CommandFailedError. */
  exec(state: ImageState, spec: ContainerSpec, io: ExecIO): Promise<NewLayer>;
  /**
   * Opens the state's files to read them or write one layer (layers written but not given to the
   * worker yet are taken in first); undefined when the state has no files at all (empty scratch).
   */
  mount(state: ImageState, signal: AbortSignal): Promise<MountedState | undefined>;
  /** Copies paths out of a state's files, by ref (COPY --from, bind mounts from a stage or image). */
  readFiles(ref: string, request: FilesRequest, signal: AbortSignal): Promise<FetchedFiles>;
  /** The state as a daemon image with exactly its config (`imageId` set): layers msbuild wrote are loaded. */
  exportImage(state: ImageState, signal?: AbortSignal): Promise<ImageState>;
  /**
   * A step of the target stage is done: its state will be exported, so a worker may start now
   * (the OCI worker loads each step's image in the background while later steps run). Optional.
   */
  preload?(state: ImageState): void;

  /** RUNs with these network modes are coming: namespaces may be prepared ahead of them. */
  prepareNetworks(modes: ReadonlySet<ContainerSpec['network']>): void;
  /** No RUN is left in the build: what prepareNetworks made may go now. */
  releaseNetworks(): void;
}

/** Files read out of a state: owns its temporary copy until disposed. */
export interface FetchedFiles extends SourceFs {
  dispose(): Promise<void>;
}
