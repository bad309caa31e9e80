// A worker whose states may stand on registry cache hits (`--cache-from type=registry`): such a hit
// names an image the daemon does not have yet, made only when something needs it. This wrapper makes
// it just before the worker or the daemon's image store is asked to use it (a step runs on it, a COPY
// --from reads it, it is exported, tagged or saved), and leaves everything else to the worker. Until
// the build opens a registry cache it only passes calls through.
import type { Readable } from 'node:stream';
import type { ImageState } from '../image/state.js';
import type { NetworkMode } from '../worker/container-spec.js';
import type { ImageInventory, ImageStore, LoadRequest, RegistryTransfer } from '../worker/image-store.js';
import type {
  ContainerSpec,
  ExecIO,
  FetchedFiles,
  FilesRequest,
  MountedState,
  NewLayer,
  PullPolicy,
  ResolvedImage,
  Worker,
} from '../worker/worker.js';
import type { RemoteCache } from './remote-cache.js';

class RemoteImages implements ImageStore {
  constructor(
    private readonly inner: ImageStore,
    private readonly make: (...ids: Array<string | undefined>) => Promise<void>,
    private readonly provides: (id: string) => boolean,
  ) {}

  identity(): Promise<string> {
    return this.inner.identity();
  }
  inventory(): Promise<ImageInventory> {
    return this.inner.inventory();
  }
  isTagged(id: string): Promise<boolean> {
    return this.inner.isTagged(id);
  }
  async has(id: string): Promise<boolean> {
    // An image the registry cache can make counts as there: it is made when used.
    return this.provides(id) || this.inner.has(id);
  }
  confirm(id: string, withinMs: number): Promise<boolean> {
    return this.inner.confirm(id, withinMs);
  }
  size(id: string): Promise<number> {
    // Not made for its size alone (0 until made): other stages' images stay in the registry.
    return this.inner.size(id);
  }
  remove(id: string): Promise<void> {
    return this.inner.remove(id);
  }
  async tag(id: string, reference: string): Promise<void> {
    await this.make(id);
    return this.inner.tag(id, reference);
  }
  async save(ids: readonly string[]): Promise<Readable> {
    await this.make(...ids);
    return this.inner.save(ids);
  }
  load(request: LoadRequest, signal?: AbortSignal): Promise<string> {
    return this.inner.load(request, signal);
  }
  push(reference: string, transfer: RegistryTransfer): Promise<{ digest: string }> {
    return this.inner.push(reference, transfer);
  }
  pull(reference: string, transfer: RegistryTransfer): Promise<void> {
    return this.inner.pull(reference, transfer);
  }
}

export class RemoteCacheWorker implements Worker {
  readonly images: ImageStore;
  private remote: RemoteCache | undefined;
  /** Aborted with the build: images being made stop. */
  private signal: AbortSignal | undefined;

  constructor(private readonly inner: Worker) {
    this.images = new RemoteImages(
      inner.images,
      (...ids) => this.make(...ids),
      (id) => this.remote?.provides(id) === true,
    );
  }

  /** From now on, images of `remote` are made when used. */
  use(remote: RemoteCache, signal: AbortSignal): void {
    this.remote = remote;
    this.signal = signal;
  }

  private async make(...ids: Array<string | undefined>): Promise<void> {
    const remote = this.remote;
    if (!remote) return;
    for (const id of new Set(ids))
      if (id !== undefined && remote.provides(id))
        await remote.make(id, (image) => this.inner.images.has(image), this.signal);
  }

  get name(): string {
    return this.inner.name;
  }
  get lost(): Error | undefined {
    return this.inner.lost;
  }
  start(): Promise<void> {
    return this.inner.start();
  }
  close(withinMs: number): Promise<number> {
    return this.inner.close(withinMs);
  }
  explainFailure(error: unknown, context?: { during?: string; interrupted?: boolean }): Promise<unknown> {
    return this.inner.explainFailure(error, context);
  }
  async checkRequest(request: { network: NetworkMode; platform: string | undefined }): Promise<void> {
    await this.inner.checkRequest?.(request);
  }
  resolveImage(ref: string, pull: PullPolicy): Promise<ResolvedImage | undefined> {
    return this.inner.resolveImage(ref, pull);
  }
  async exec(state: ImageState, spec: ContainerSpec, io: ExecIO): Promise<NewLayer> {
    await this.make(state.layerImageId, state.imageId);
    return this.inner.exec(state, spec, io);
  }
  async mount(state: ImageState, signal: AbortSignal): Promise<MountedState | undefined> {
    await this.make(state.layerImageId, state.imageId);
    return this.inner.mount(state, signal);
  }
  async readFiles(ref: string, request: FilesRequest, signal: AbortSignal): Promise<FetchedFiles> {
    await this.make(ref);
    return this.inner.readFiles(ref, request, signal);
  }
  async exportImage(state: ImageState, signal?: AbortSignal): Promise<ImageState> {
    await this.make(state.layerImageId, state.imageId);
    return this.inner.exportImage(state, signal);
  }
  prepareNetworks(modes: ReadonlySet<ContainerSpec['network']>): void {
    this.inner.prepareNetworks(modes);
  }
  releaseNetworks(): void {
    this.inner.releaseNetworks();
  }
}
