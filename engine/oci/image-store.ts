// The daemon's images as the OCI worker sees them: the Engine API store, plus msbuild's snapshots
// by ref (`oci:<snapshot>`): a cache entry naming one is there while the snapshot's chain is (and
// the daemon image under it, if any). Loads, tags and saves go to the daemon.
import type { Readable } from 'node:stream';
import type { DockerImageStore } from '../docker/image-store.js';
import type { ImageInventory, ImageStore, LoadRequest, RegistryTransfer } from '../worker/image-store.js';
import type { SnapshotStore } from './snapshots.js';

export const snapshotRefPrefix = 'oci:';

export function snapshotRef(id: string): string {
  return `${snapshotRefPrefix}${id}`;
}

/** The snapshot a ref names, if it names one. */
export function snapshotOfRef(ref: string | undefined): string | undefined {
  return ref?.startsWith(snapshotRefPrefix) ? ref.slice(snapshotRefPrefix.length) : undefined;
}

export class OciImageStore implements ImageStore {
  constructor(
    readonly daemon: DockerImageStore,
    private readonly snapshots: SnapshotStore,
  ) {}

  /** Snapshots live beside the cache entries that name them: the daemon tells entries apart. */
  identity(): Promise<string> {
    return this.daemon.identity();
  }

  inventory(): Promise<ImageInventory> {
    return this.daemon.inventory();
  }

  /** A snapshot has no tag (and a prune never removes one: see remove). */
  isTagged(id: string): Promise<boolean> {
    return snapshotOfRef(id) === undefined ? this.daemon.isTagged(id) : Promise.resolve(false);
  }

  async has(id: string): Promise<boolean> {
    const snapshot = snapshotOfRef(id);
    if (snapshot === undefined) return this.daemon.has(id);
    const chain = await this.snapshots.chain(snapshot);
    if (!chain) return false;
    const base = chain.at(-1)?.baseImage;
    return base === undefined || this.daemon.has(base);
  }

  confirm(id: string, withinMs: number): Promise<boolean> {
    return snapshotOfRef(id) !== undefined ? this.has(id) : this.daemon.confirm(id, withinMs);
  }

  async size(id: string): Promise<number> {
    const snapshot = snapshotOfRef(id);
    if (snapshot === undefined) return this.daemon.size(id);
    const chain = (await this.snapshots.chain(snapshot)) ?? [];
    const base = chain.at(-1)?.baseImage;
    const own = chain.reduce((sum, s) => sum + (s.contentSize ?? s.treeContentSize ?? 0), 0);
    return own + (base ? await this.daemon.size(base) : 0);
  }

  /** A snapshot may be the parent of others: the store's size-bounded collection removes it, not a prune. */
  async remove(id: string): Promise<void> {
    if (snapshotOfRef(id) === undefined) await this.daemon.remove(id);
  }

  tag(id: string, reference: string): Promise<void> {
    return this.daemon.tag(id, reference);
  }

  save(ids: readonly string[]): Promise<Readable> {
    return this.daemon.save(ids);
  }

  load(request: LoadRequest, signal?: AbortSignal): Promise<string> {
    return this.daemon.load(request, signal);
  }

  /** Pushes and pulls are by name: images the daemon holds. */
  push(reference: string, transfer: RegistryTransfer): Promise<{ digest: string }> {
    return this.daemon.push(reference, transfer);
  }

  pull(reference: string, transfer: RegistryTransfer): Promise<void> {
    return this.daemon.pull(reference, transfer);
  }
}
