// The Docker worker: the worker boundary on the Engine API. A RUN is a container created from the
// state's layers and committed; a write into an image is an archive put into a never-started
// container and committed; files are read through `GET /archive`; cache mounts are volumes; a state
// reaches the daemon by `docker load`. It owns every container it makes (registry, network holders)
// until close, and watches the daemon: one that stops answering stops the build.
import type Docker from 'dockerode';
import { createReadStream } from 'node:fs';
import { BuildError } from '../build-error.js';
import type { ImageState } from '../image/state.js';
import { untilAborted } from '../util/abort.js';
import type { CacheMount, ContainerSpec } from '../worker/container-spec.js';
import type {
  ExecIO,
  FetchedFiles,
  FilesRequest,
  MountedState,
  NewLayer,
  PullPolicy,
  ResolvedImage,
  Worker,
} from '../worker/worker.js';
import { cacheVolumeOptions, leaseCacheVolumes } from './cache-volumes.js';
import { containerView, scratchContainer } from './container-view.js';
import { ContainerRegistry, removeOrphanedContainers } from './container.js';
import {
  checkDaemon,
  connectionFailure,
  connectionLostMessage,
  daemonArchitecture,
  DaemonError,
  daemonMessage,
  pingDaemon,
  statusCodeOf,
} from './daemon.js';
import { fetchFromImage } from './fetch-files.js';
import { DockerImageStore } from './image-store.js';
import { committedLayer, layerImageOf, materialize } from './materialize.js';
import { NetworkSandboxes } from './network-sandbox.js';
import { checkNetwork, checkPlatform } from './request-fit.js';
import { dockerNetworkMode, runContainer } from './run-container.js';
import { DaemonWatchdog, patientDeadline } from './watchdog.js';

/** How long cleanup waits for a daemon that keeps answering but removes slowly. */
const patientCleanupMs = 30_000;

export interface DockerWorkerOptions {
  docker: Docker;
  /** Label value of every container the build creates (`io.msbuild.build`). */
  buildId: string;
  /** Where cache mount holders keep their lock files (shared by msbuild processes using one cache directory). */
  lockDir: string;
  /** Where the daemon's identity is remembered between builds (daemon-identity.ts). */
  identityMemo?: string;
  /** Called once when the daemon stops answering: the build stops. */
  onLost(error: Error): void;
  /** What the user should know (leftovers removed, or left: `containersLeft`), worded for them. */
  onWarning(warning: { message: string; containersLeft?: number }): void;
}

export class DockerWorker implements Worker {
  readonly name = 'docker';
  readonly images: DockerImageStore;
  private readonly docker: Docker;
  /** The build's containers (the OCI worker's image leases are among them). */
  readonly registry = new ContainerRegistry();
  private sandboxes: NetworkSandboxes | undefined;
  private watchdog: DaemonWatchdog | undefined;
  /** Containers of killed msbuild processes, being removed while the build runs. */
  private orphans: Promise<void> = Promise.resolve();

  constructor(private readonly options: DockerWorkerOptions) {
    this.docker = options.docker;
    this.images = new DockerImageStore(options.docker, options.identityMemo);
  }

  async start(): Promise<void> {
    await checkDaemon(this.docker);
    // The cache keeps entries per daemon (`/info`): asked now, beside the other start-up requests, rather
    // than in the first look-up's path. A failure reaches whoever awaits it.
    this.images.identity().catch(() => undefined);
    this.watchdog = new DaemonWatchdog(this.docker, (error) => this.options.onLost(error));
    this.watchdog.start();
    let architecture: Promise<string> | undefined;
    this.sandboxes = new NetworkSandboxes(
      this.docker,
      this.registry,
      this.options.buildId,
      () => (architecture ??= daemonArchitecture(this.docker)),
    );
    this.orphans = removeOrphanedContainers(this.docker).then(
      (removed) => {
        if (removed > 0)
          this.options.onWarning({ message: `removed ${removed} container(s) left by an interrupted msbuild` });
      },
      () => undefined,
    );
  }

  /** The build's network holders, once started (the OCI worker joins their namespaces). */
  get networkSandboxes(): NetworkSandboxes | undefined {
    return this.sandboxes;
  }

  get lost(): Error | undefined {
    return this.watchdog?.dead;
  }

  async close(withinMs: number): Promise<number> {
    this.watchdog?.stop();
    // One deadline for every phase (they used to have `withinMs` each, three times the promise).
    const deadline = patientDeadline(this.docker, { budgetMs: withinMs, maxMs: Math.max(withinMs, patientCleanupMs) });
    try {
      await this.sandboxes?.close(deadline.signal);
      const left = await this.registry.removeAll(deadline.signal);
      if (left > 0) {
        this.options.onWarning({
          message: `${left} container(s) could not be removed (the Docker daemon is gone or stopped answering); the next msbuild build removes them`,
          containersLeft: left,
        });
      }
      await untilAborted(this.orphans, deadline.signal).catch(() => undefined);
      return left;
    } finally {
      deadline.dispose();
    }
  }

  async explainFailure(error: unknown, context: { during?: string; interrupted?: boolean } = {}): Promise<unknown> {
    const dead = this.watchdog?.dead;
    if (dead && !context.interrupted) return dead;
    const why = connectionFailure(error);
    // An answer of the daemon refusing something outside any step (tagging, inspecting: a full disk,
    // say) is not msbuild's bug: it is reported plainly, as the daemon words it.
    const refused = statusCodeOf(error);
    if (why === undefined && refused !== undefined) {
      return new DaemonError(`the Docker daemon refused (HTTP ${refused}): ${daemonMessage(error)}`, { cause: error });
    }
    if (why === undefined || context.interrupted) return error;
    if (
      await pingDaemon(this.docker, 2000).then(
        () => true,
        () => false,
      )
    )
      return error;
    const message = connectionLostMessage(why);
    if (error instanceof BuildError && error.step) return new BuildError(message, { step: error.step });
    return new DaemonError(context.during ? `${context.during}: ${message}` : message);
  }

  async checkRequest(request: { network: string; platform: string | undefined }): Promise<void> {
    await Promise.all([checkNetwork(this.docker, request.network), checkPlatform(this.docker, request.platform)]);
  }

  resolveImage(ref: string, pull: PullPolicy): Promise<ResolvedImage | undefined> {
    return this.images.resolve(ref, pull);
  }

  async exec(state: ImageState, spec: ContainerSpec, io: ExecIO): Promise<NewLayer> {
    // Layers written but not loaded go to the daemon now; a stage with no layers yet (FROM scratch)
    // still needs an image to create the container from.
    const ready = state.layerImageId === undefined ? await materialize(this.docker, state, io.signal) : state;
    const image = ready.layerImageId ?? ready.imageId;
    if (image === undefined) throw new Error('internal: no image to run from');
    const caches = spec.mounts.filter((mount): mount is CacheMount => mount.type === 'cache');
    // Only a new cache with uid/gid/mode needs the image (to set its root through); an empty scratch
    // stage has none to go through.
    const runImage = async () => (ready.config.rootfs.diff_ids.length > 0 ? image : undefined);
    const leased = await leaseCacheVolumes(
      { ...this.containerContext(), lockDir: this.options.lockDir, signal: io.signal },
      caches,
      runImage,
    );
    try {
      const mounts: Docker.MountConfig = [];
      const tmpfs: Record<string, string> = {};
      for (const mount of spec.mounts) {
        if (mount.type === 'bind')
          mounts.push({ Type: 'bind', Source: mount.source, Target: mount.target, ReadOnly: mount.readOnly });
        else if (mount.type === 'tmpfs') tmpfs[mount.target] = mount.sizeLimit > 0 ? `size=${mount.sizeLimit}` : '';
      }
      // The daemon orders mounts by target itself, so the caches can come last.
      for (const [mount, volume] of leased.volumes) {
        const cache = mount as CacheMount;
        mounts.push({
          Type: 'volume',
          Source: volume,
          Target: cache.target,
          ReadOnly: cache.readOnly,
          VolumeOptions: cacheVolumeOptions(cache),
        });
      }
      const committed = await runContainer(
        {
          ...this.containerContext(),
          ...(this.sandboxes ? { sandboxes: this.sandboxes } : {}),
          mounts,
          tmpfs,
          onOutput: io.onOutput,
          signal: io.signal,
        },
        image,
        spec,
      );
      return await committedLayer(this.docker, ready, committed);
    } finally {
      await leased.release();
    }
  }

  async mount(state: ImageState, signal: AbortSignal): Promise<MountedState | undefined> {
    const { state: parent, image } = await layerImageOf(this.docker, state, signal);
    if (image === undefined) return undefined;
    const container = await scratchContainer(this.containerContext(), image);
    return {
      view: containerView(container),
      commit: async (layerPath, commitSignal) => {
        if (layerPath !== undefined) await container.putArchive(createReadStream(layerPath), '/', commitSignal);
        return committedLayer(this.docker, parent, await container.commit(commitSignal));
      },
      release: () => container.release(),
    };
  }

  readFiles(ref: string, request: FilesRequest, signal: AbortSignal): Promise<FetchedFiles> {
    return fetchFromImage(this.containerContext(), ref, request, signal);
  }

  exportImage(state: ImageState, signal?: AbortSignal): Promise<ImageState> {
    return materialize(this.docker, state, signal);
  }

  prepareNetworks(modes: ReadonlySet<ContainerSpec['network']>): void {
    for (const mode of new Set([...modes].map(dockerNetworkMode)))
      if (mode === 'none' || mode === 'bridge') this.sandboxes?.prewarm(mode);
  }

  releaseNetworks(): void {
    this.sandboxes?.retire();
  }

  private containerContext() {
    return { docker: this.docker, registry: this.registry, buildId: this.options.buildId };
  }
}
