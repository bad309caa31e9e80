// The daemon's images as the OCI worker sees them: the Engine API store, plus msbuild's snapshots
// by ref (`oci:<snapshot>`): a cache entry naming one is there while the snapshot's chain is (and
// the daemon image under it, if any). Loads, tags and pushes go to the daemon; a save of snapshot
// refs (a cache export) is the daemon's save of their base images with the snapshots' layer tars
// added, in `docker save`'s layout (`<id>/layer.tar`), which is all a cache export reads.
import type Docker from 'dockerode';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack } from 'tar-stream';
import { connectImageStore, type DockerImageStore } from '../docker/image-store.js';
import { readTar } from '../util/tar.js';
import type { ImageInventory, ImageStore, LoadRequest, RegistryTransfer } from '../worker/image-store.js';
import { OciError } from './errors.js';
import { ociStateDir } from './select.js';
import { SnapshotStore } from './snapshots.js';

export const snapshotRefPrefix = 'oci:';

export function snapshotRef(id: string): string {
  return `${snapshotRefPrefix}${id}`;
}

/** The snapshot a ref names, if it names one. */
export function snapshotOfRef(ref: string | undefined): string | undefined {
  return ref?.startsWith(snapshotRefPrefix) ? ref.slice(snapshotRefPrefix.length) : undefined;
}

/**
 * The images the cache tools see for a cache dir: the daemon's, and the OCI worker's snapshots when
 * the cache dir has its state (entries a build on either worker made).
 */
export async function connectCacheImages(options: {
  cacheDir: string;
  withinMs?: number;
}): Promise<DockerImageStore | OciImageStore> {
  const daemon = await connectImageStore(options.withinMs === undefined ? {} : { withinMs: options.withinMs });
  const stateDir = ociStateDir(options.cacheDir);
  return existsSync(stateDir) ? new OciImageStore(daemon, new SnapshotStore(stateDir)) : daemon;
}

export class OciImageStore implements ImageStore {
  constructor(
    readonly daemon: DockerImageStore,
    private readonly snapshots: SnapshotStore,
    /** A snapshot's layer tar, written when it is not yet (in a build); without it, only those written. */
    private readonly layerOf?: (snapshot: string, signal?: AbortSignal) => Promise<{ path: string }>,
  ) {}

  get docker(): Docker {
    return this.daemon.docker;
  }

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

  async save(ids: readonly string[]): Promise<Readable> {
    const images = ids.filter((id) => snapshotOfRef(id) === undefined);
    const layers = new Set<string>();
    for (const id of ids) {
      const snapshot = snapshotOfRef(id);
      if (snapshot === undefined) continue;
      const chain = await this.snapshots.chain(snapshot);
      if (!chain)
        throw new OciError('OCI_SNAPSHOT_GONE', `snapshot ${snapshot} is gone (the cache was pruned meanwhile?)`);
      for (const link of chain) layers.add(link.id);
      const base = chain.at(-1)?.baseImage;
      if (base !== undefined) images.push(base);
    }
    if (layers.size === 0) return this.daemon.save(images);
    const files = await Promise.all([...layers].map((id) => this.layerFile(id)));
    const archive = tarPack();
    const out = new PassThrough();
    const writing = (async () => {
      if (images.length > 0)
        await readTar(await this.daemon.save([...new Set(images)]), async (header, body) => {
          if (header.type === 'file') await pipeline(body, archive.entry({ name: header.name, size: header.size }));
          else body.resume();
        });
      for (const file of files)
        await pipeline(createReadStream(file.path), archive.entry({ name: `${file.id}/layer.tar`, size: file.size }));
      archive.finalize();
    })();
    // The reader sees a failure as its stream's error (a pipe does not carry errors on).
    writing.catch((error: unknown) => {
      archive.destroy(error as Error);
      out.destroy(error as Error);
    });
    return archive.pipe(out);
  }

  private async layerFile(id: string): Promise<{ id: string; path: string; size: number }> {
    const path = this.layerOf ? (await this.layerOf(id)).path : this.snapshots.layerOf(id);
    const info = await stat(path).catch(() => undefined);
    if (!info)
      throw new OciError('OCI_SNAPSHOT', `snapshot ${id} has no layer tar yet: export it from a build (--cache-to)`);
    return { id, path, size: info.size };
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
