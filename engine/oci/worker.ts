// The OCI worker: the worker boundary on runc and msbuild's own overlay snapshots (BuildKit's runc
// worker), beside a local Docker daemon whose images it reads in place and into which it loads the
// target's layers. A RUN runs with runc on a new snapshot over its parents; a COPY or WORKDIR puts
// its layer tar into a snapshot of its own; files of a stage are read from a read-only overlay of
// its snapshots; intermediate stages never reach the daemon. The target's step images are loaded in
// the background as soon as each is done, so the build ends soon after its last step. The daemon-
// facing parts (base images, the watchdog, failures worded as the daemon's) are the Docker worker's.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRegistry } from '../docker/container.js';
import type { DockerImageStore } from '../docker/image-store.js';
import type { NetworkSandboxes } from '../docker/network-sandbox.js';
import { CommandFailedError } from '../docker/run-container.js';
import { imageIdOf } from '../image/config.js';
import type { WrittenLayer } from '../image/layer.js';
import { ancestorsOf, type ImageState } from '../image/state.js';
import type { ContainerSpec, NetworkMode } from '../worker/container-spec.js';
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
import { OciError } from './errors.js';
import { OciImageStore, snapshotOfRef, snapshotRef } from './image-store.js';
import { BackgroundLoader } from './loader.js';
import { HolderNamespaces, type RunNetwork } from './network.js';
import { prepareRunMounts } from './run-mounts.js';
import { OciSession, type OciChain } from './session.js';
import { TreeFs } from './tree-fs.js';
import { treeView } from './tree-view.js';

/** What the OCI worker takes from the Docker worker it stands beside. */
export interface DaemonSide extends Worker {
  readonly images: DockerImageStore;
  /** The build's containers: the OCI worker's image leases join them. */
  readonly registry: ContainerRegistry;
  /** The build's network holders (joined by their namespaces). */
  readonly networkSandboxes: NetworkSandboxes | undefined;
}

export interface OciWorkerOptions {
  daemon: DaemonSide;
  buildId: string;
  stateDir: string;
  runc: string;
  daemonVersion: string;
  /** Lock files of cache mounts (shared with the Docker worker's, so both agree who uses a cache). */
  lockDir: string;
  onWarning(message: string): void;
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

export class OciWorker implements Worker {
  readonly name = 'oci';
  readonly images: OciImageStore;
  private readonly session: OciSession;
  private namespaces: HolderNamespaces | undefined;
  private loader: BackgroundLoader | undefined;
  private readonly stop = new AbortController();
  /** Written layers (a scratch stage's COPYs) already made snapshots, by tar path. */
  private readonly adopted = new Map<string, Promise<string>>();

  constructor(private readonly options: OciWorkerOptions) {
    const daemon = options.daemon;
    this.session = new OciSession({
      docker: daemon.images.docker,
      registry: daemon.registry,
      buildId: options.buildId,
      stateDir: options.stateDir,
      runc: options.runc,
      daemonVersion: options.daemonVersion,
    });
    this.images = new OciImageStore(daemon.images, this.session.store, (id, signal) =>
      this.session.ensureLayer(id, signal),
    );
  }

  async start(): Promise<void> {
    // The state dir's recovery and the daemon side's start need nothing of each other.
    const [report] = await Promise.all([this.session.open(), this.options.daemon.start()]);
    const left = report.containers + report.mounts + report.snapshots;
    if (left > 0)
      this.options.onWarning(
        `removed what an interrupted msbuild left of the OCI worker: ${report.containers} runc container(s), ${report.mounts} mount(s), ${report.snapshots} unfinished snapshot(s)`,
      );
    const sandboxes = this.options.daemon.networkSandboxes;
    if (sandboxes) this.namespaces = new HolderNamespaces(this.images.daemon.docker, sandboxes);
    this.loader = new BackgroundLoader((job, signal) => this.images.load(job, signal), this.stop.signal);
  }

  async close(withinMs: number): Promise<number> {
    this.stop.abort(new Error('the build is over'));
    await this.session.close();
    return this.options.daemon.close(withinMs);
  }

  get lost(): Error | undefined {
    return this.options.daemon.lost;
  }

  explainFailure(error: unknown, context?: { during?: string; interrupted?: boolean }): Promise<unknown> {
    return this.options.daemon.explainFailure(error, context);
  }

  resolveImage(ref: string, pull: PullPolicy): Promise<ResolvedImage | undefined> {
    return this.options.daemon.resolveImage(ref, pull);
  }

  /** A named network and a platform are the daemon's to have, as on the Docker worker. */
  async checkRequest(request: { network: NetworkMode; platform: string | undefined }): Promise<void> {
    await this.options.daemon.checkRequest?.(request);
  }

  /**
   * The default network and named ones join holders (`none` gets a namespace of its own, `host`
   * none): a holder is warmed for each, and one on the bridge to read the daemon's seccomp profile
   * before the first RUN when no other holder will.
   */
  prepareNetworks(modes: ReadonlySet<ContainerSpec['network']>): void {
    if (modes.size === 0) return;
    const sandboxes = this.options.daemon.networkSandboxes;
    const named = [...modes].filter((mode) => mode !== 'default' && mode !== 'none' && mode !== 'host');
    for (const mode of named) sandboxes?.prewarm(mode);
    if (modes.has('default') || (!this.session.hasProfile && named.length === 0)) sandboxes?.prewarm('bridge');
  }

  releaseNetworks(): void {
    this.options.daemon.releaseNetworks();
  }

  /** The chain of a ref: msbuild's snapshots (on a daemon image, maybe), or a daemon image. */
  private async chainOfRef(ref: string | undefined): Promise<OciChain> {
    const snapshot = snapshotOfRef(ref);
    if (snapshot === undefined) return ref === undefined ? { snapshots: [] } : { baseImage: ref, snapshots: [] };
    const chain = await this.session.store.chain(snapshot);
    if (!chain)
      throw new OciError('OCI_SNAPSHOT_GONE', `snapshot ${snapshot} is gone (the cache was pruned meanwhile?)`);
    return { baseImage: chain.at(-1)?.baseImage, snapshots: chain.map((s) => s.id).reverse() };
  }

  /** States whose chain is being made by exporting them (see chainOf). */
  private readonly resolving = new WeakSet<ImageState>();

  /** A written layer as a snapshot on `chain` (once per layer file). */
  private adopt(chain: OciChain, layer: WrittenLayer): Promise<string> {
    let pending = this.adopted.get(layer.path);
    if (!pending) {
      pending = this.session
        .addLayer(chain, { diffId: layer.diffId, path: layer.path, size: layer.size, contentSize: layer.contentSize })
        .then((meta) => meta.id);
      pending.catch(() => this.adopted.delete(layer.path));
      this.adopted.set(layer.path, pending);
    }
    return pending;
  }

  /** The state's layers as a chain; layers msbuild wrote but did not give the worker become snapshots. */
  private async chainOf(state: ImageState, signal: AbortSignal): Promise<OciChain> {
    const written = state.unloadedLayers ?? [];
    const layers = state.config.rootfs.diff_ids.length;
    let base = state.layerImageId;
    if (base === undefined && written.length !== layers) {
      // Layers written on a loaded image (a cache hit, say): the loaded part is the last loaded
      // config's image, when it holds exactly the layers below the written ones.
      const parent = state.parentConfig;
      if (parent && parent.rootfs.diff_ids.length + written.length === layers) base = imageIdOf(parent);
      else return this.chainOfExported(state, signal);
    }
    let chain = await this.chainOfRef(base);
    for (const layer of state.layerImageId === undefined ? written : []) {
      const id = await this.adopt(chain, layer);
      chain = { ...chain, snapshots: [...chain.snapshots, id] };
    }
    return chain;
  }

  /**
   * The chain of a state loaded as a whole (its loaded part has no ref). Exporting reads this chain
   * again: a state seen twice here can never resolve, so it is one clear error, not endless recursion.
   */
  private async chainOfExported(state: ImageState, signal: AbortSignal): Promise<OciChain> {
    if (this.resolving.has(state))
      throw new OciError('OCI_SNAPSHOT', 'internal: a state whose loaded layers have no image cannot be exported');
    this.resolving.add(state);
    try {
      return await this.chainOfRef((await this.exportImage(state, signal)).layerImageId);
    } finally {
      this.resolving.delete(state);
    }
  }

  private refOfChain(chain: OciChain): string | undefined {
    const top = chain.snapshots.at(-1);
    return top !== undefined ? snapshotRef(top) : chain.baseImage;
  }

  async exec(state: ImageState, spec: ContainerSpec, io: ExecIO): Promise<NewLayer> {
    const mode = spec.network;
    if (!this.namespaces && mode !== 'default' && mode !== 'none' && mode !== 'host')
      throw new OciError('OCI_UNAVAILABLE', `--network ${mode}: this daemon cannot start a holder on a named network`);
    const chain = await this.chainOf(state, io.signal);
    const network: RunNetwork = this.namespaces
      ? await this.namespaces.networkFor(mode, io.signal)
      : { spec: spec.network === 'host' ? undefined : {}, resolv: spec.network === 'host' ? 'host' : 'other' };
    let broken = spec.security === 'insecure';
    const scratchDir = join(this.options.stateDir, 'run');
    const mounts = await prepareRunMounts(spec, {
      stateDir: this.options.stateDir,
      lockDir: this.options.lockDir,
      scratchDir,
      signal: io.signal,
    });
    try {
      if (!this.session.hasProfile) await this.learnProfile(network.lease?.containerId, io.signal);
      const result = await this.session.run(chain, {
        args: spec.argv,
        env: spec.env,
        cwd: spec.workdir,
        user: spec.user,
        network: network.spec,
        ...(network.resolvConfPath ? { resolvConfPath: network.resolvConfPath } : {}),
        insecure: spec.security === 'insecure',
        limits: spec.limits,
        mounts: mounts.mounts,
        onOutput: io.onOutput,
        signal: io.signal,
      });
      if (result.runcError !== undefined) {
        broken = true;
        throw new OciError('OCI_RUNC', `runc could not run the step: ${result.runcError}`);
      }
      if (!result.snapshot) throw new CommandFailedError(result.exitCode, spec.argv);
      const usage = await this.session.helper.diskUsage(this.session.store.fsOf(result.snapshot.id));
      if (usage.entries === 0) {
        // The step changed no file: no layer, as BuildKit records it.
        await this.session.store.discardCommitted(result.snapshot.id);
        return { parent: state, ref: this.refOfChain(chain) ?? '', diffId: undefined, layerSize: 0 };
      }
      const layer = await this.session.ensureLayer(result.snapshot.id, io.signal);
      return {
        parent: state,
        ref: snapshotRef(result.snapshot.id),
        diffId: layer.diffId,
        layerSize: layer.contentSize,
      };
    } finally {
      await mounts.release();
      // A privileged step could have changed its namespace: that holder is not used again.
      network.lease?.release(broken);
    }
  }

  /** The daemon's seccomp profile, from a holder's bundle (one is started when the RUN joins none). */
  private async learnProfile(holder: string | undefined, signal: AbortSignal): Promise<void> {
    if (!this.namespaces) throw new OciError('OCI_SECCOMP', "the daemon's seccomp profile cannot be read");
    if (holder !== undefined)
      return this.session.learnProfile({ id: holder, pid: await this.namespaces.pidOf(holder).catch(() => undefined) });
    const lease = await this.namespaces.anyHolder(signal);
    try {
      const pid = await this.namespaces.pidOf(lease.containerId).catch(() => undefined);
      await this.session.learnProfile({ id: lease.containerId, pid });
    } finally {
      lease.release();
    }
  }

  async mount(state: ImageState, signal: AbortSignal): Promise<MountedState | undefined> {
    if (state.config.rootfs.diff_ids.length === 0 && state.layerImageId === undefined) return undefined;
    const chain = await this.chainOf(state, signal);
    const view = await this.session.openView(chain, signal);
    return {
      view: treeView(view.root),
      commit: async (layerPath) => {
        await view.close();
        if (layerPath === undefined)
          return { parent: state, ref: this.refOfChain(chain) ?? '', diffId: undefined, layerSize: 0 };
        const diffId = await fileDigest(layerPath);
        const size = (await stat(layerPath)).size;
        const meta = await this.session.addLayer(chain, { diffId, path: layerPath, size, contentSize: size });
        return { parent: state, ref: snapshotRef(meta.id), diffId, layerSize: size };
      },
      release: () => void view.close().catch(() => undefined),
    };
  }

  async readFiles(ref: string, request: FilesRequest, signal: AbortSignal): Promise<FetchedFiles> {
    const view = await this.session.openView(await this.chainOfRef(ref), signal);
    const files = new TreeFs(view.root, request.description);
    return Object.assign(files, { dispose: () => view.close() });
  }

  /** The layers of `state`'s chain as tars with their diff IDs (written the first time). */
  private async layersOf(state: ImageState, signal?: AbortSignal) {
    const chain = await this.chainOf(state, signal ?? this.stop.signal);
    return Promise.all(chain.snapshots.map((id) => this.session.ensureLayer(id, signal)));
  }

  /** A step of the target stage is done: its image starts loading now, while later steps run. */
  preload(state: ImageState): void {
    if (state.imageId !== undefined || !this.loader) return;
    const loader = this.loader;
    void this.layersOf(state)
      .then((layers) => loader.enqueue({ config: state.config, ancestors: ancestorsOf(state), layers }))
      .catch(() => undefined);
  }

  async exportImage(state: ImageState, signal?: AbortSignal): Promise<ImageState> {
    if (state.imageId !== undefined) return state;
    if (!this.loader) throw new Error('internal: the OCI worker was not started');
    const layers = await this.layersOf(state, signal);
    const loaded = await this.loader.enqueue({ config: state.config, ancestors: ancestorsOf(state), layers });
    if (loaded instanceof Error) throw loaded;
    return {
      ...state,
      imageId: loaded,
      parentConfig: state.config,
      pendingConfigs: [],
      unloadedLayers: [],
      layerImageId: state.config.rootfs.diff_ids.length > 0 ? loaded : undefined,
    };
  }
}
