// Layer tars as registry blobs: a layer gzipped to a temporary file with its blob digest, and its
// upload. What was uploaded where is remembered in the cache directory (`registry-blobs.json`:
// registry → diff ID → blob and the repository that has it), so a later export sends nothing the
// registry has.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import { mediaTypes, type Repository } from '../registry/client.js';
import type { LayerBlob } from './remote-format.js';
import type { CacheStore } from './store.js';

/** Gzips a layer tar stream to `file`; returns the blob and the layer's diff ID. */
export async function gzipLayer(layer: Readable, file: string): Promise<{ blob: LayerBlob; diffId: string }> {
  const raw = createHash('sha256');
  const packed = createHash('sha256');
  let size = 0;
  layer.on('data', (chunk: Buffer) => raw.update(chunk));
  const gzip = createGzip({ level: constants.Z_BEST_SPEED });
  gzip.on('data', (chunk: Buffer) => {
    packed.update(chunk);
    size += chunk.length;
  });
  await pipeline(layer, gzip, createWriteStream(file));
  return {
    blob: { digest: `sha256:${packed.digest('hex')}`, size, mediaType: mediaTypes.ociLayerGzip },
    diffId: `sha256:${raw.digest('hex')}`,
  };
}

export function uploadFile(repository: Repository, blob: LayerBlob, file: string): Promise<void> {
  return repository.uploadBlob(blob.digest, blob.size, () => createReadStream(file));
}

interface Remembered extends LayerBlob {
  /** A repository of the registry known to have the blob (a mount source). */
  repository: string;
}

type BlobMemoFile = Record<string, Record<string, Remembered>>;

/** registry host → diff ID → the blob holding it there. */
export class BlobMemo {
  private data: BlobMemoFile = {};
  private changed = false;

  private constructor(private readonly store: CacheStore) {}

  static async read(store: CacheStore): Promise<BlobMemo> {
    const memo = new BlobMemo(store);
    memo.data = (await store.readJson<BlobMemoFile>('registry-blobs.json')) ?? {};
    return memo;
  }

  get(host: string, diffId: string): Remembered | undefined {
    return this.data[host]?.[diffId];
  }

  set(host: string, diffId: string, blob: LayerBlob, repository: string): void {
    (this.data[host] ??= {})[diffId] = { ...blob, repository };
    this.changed = true;
  }

  forget(host: string, diffId: string): void {
    if (this.data[host]?.[diffId]) {
      delete this.data[host][diffId];
      this.changed = true;
    }
  }

  async save(): Promise<void> {
    if (this.changed) await this.store.writeJson('registry-blobs.json', this.data);
  }
}
