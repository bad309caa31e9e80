// An image read out of the daemon with `docker save`: its exact config bytes and its layer tars
// (in a temporary directory), in rootfs order. The basis of every exporter but `docker`.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readEntry, readTar } from '../util/tar.js';
import { createTempDir, removeTempDir } from '../util/temp-dirs.js';
import type { ImageStore } from '../worker/image-store.js';

export interface SavedLayer {
  diffId: string;
  path: string;
  size: number;
}

/** Owns a temporary directory: call `dispose()`. */
export class SavedImage {
  private constructor(
    readonly dir: string,
    readonly id: string,
    readonly configBytes: Buffer,
    readonly layers: SavedLayer[],
  ) {}

  static async read(images: ImageStore, imageId: string): Promise<SavedImage> {
    const dir = await createTempDir('save');
    try {
      const stream = await images.save([imageId]);
      const files = new Map<string, { path: string; digest: string; size: number }>();
      const small = new Map<string, Buffer>();
      let counter = 0;
      await readTar(stream, async (header, body) => {
        if (header.name.endsWith('layer.tar')) {
          const path = join(dir, `layer-${counter++}.tar`);
          const hash = createHash('sha256');
          let size = 0;
          body.on('data', (chunk: Buffer) => {
            hash.update(chunk);
            size += chunk.length;
          });
          await pipeline(body, createWriteStream(path));
          files.set(header.name, { path, digest: `sha256:${hash.digest('hex')}`, size });
          return;
        }
        if (header.name.endsWith('.json')) small.set(header.name, await readEntry(body));
      });
      const manifest = JSON.parse((small.get('manifest.json') ?? Buffer.from('[]')).toString('utf8')) as Array<{
        Config: string;
        Layers: string[];
      }>;
      const item = manifest[0];
      if (!item) throw new Error(`docker save of ${imageId} has no manifest`);
      const configBytes = small.get(item.Config);
      if (!configBytes) throw new Error(`docker save of ${imageId} has no config`);
      const layers = item.Layers.map((name) => {
        const file = files.get(name);
        if (!file) throw new Error(`docker save of ${imageId} lacks layer ${name}`);
        return { diffId: file.digest, path: file.path, size: file.size };
      });
      return new SavedImage(dir, imageId, configBytes, layers);
    } catch (error) {
      await removeTempDir(dir);
      throw error;
    }
  }

  async dispose(): Promise<void> {
    await removeTempDir(this.dir);
  }
}
