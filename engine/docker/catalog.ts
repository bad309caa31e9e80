// Which images the daemon holds, read once per build (one list call instead of an inspect per
// cache lookup), kept up to date with the images the build loads.
import type Docker from 'dockerode';
import { inspectImage } from './images.js';

export class ImageCatalog {
  private sizes: Map<string, number> | undefined;
  private loading: Promise<Map<string, number>> | undefined;

  constructor(private readonly docker: Docker) {}

  private async all(): Promise<Map<string, number>> {
    if (this.sizes) return this.sizes;
    this.loading ??= this.docker.listImages({ all: true }).then((images) => {
      this.sizes = new Map(images.map((image) => [image.Id, image.Size]));
      return this.sizes;
    });
    return this.loading;
  }

  /** True when the daemon has the image (a cache entry whose image was pruned is a miss). */
  async has(id: string): Promise<boolean> {
    if ((await this.all()).has(id)) return true;
    const found = await inspectImage(this.docker, id);
    if (found) this.sizes?.set(id, found.size);
    return found !== undefined;
  }

  /** Bytes of the image (all its layers), as `docker images` shows. */
  async size(id: string): Promise<number> {
    const known = (await this.all()).get(id);
    if (known !== undefined) return known;
    const found = await inspectImage(this.docker, id);
    if (found) this.sizes?.set(id, found.size);
    return found?.size ?? 0;
  }

  /** Records an image the build created (its size is read when asked). */
  forget(id: string): void {
    this.sizes?.delete(id);
  }
}
