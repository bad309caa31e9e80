// Which images the daemon holds, asked once per image per build. Listing every image instead costs
// ~200 ms on a daemon with a few thousand (a CI machine's usual state), more than a cached build.
import type Docker from 'dockerode';
import { inspectImage, type ImageSummary } from './images.js';

export class ImageCatalog {
  private readonly known = new Map<string, Promise<ImageSummary | undefined>>();

  constructor(private readonly docker: Docker) {}

  private lookup(id: string): Promise<ImageSummary | undefined> {
    let found = this.known.get(id);
    if (!found) {
      found = inspectImage(this.docker, id);
      // Only presence is remembered: a missing image may be loaded by this very build, and a failed
      // inspect (a daemon hiccup) is asked again.
      found.then(
        (summary) => summary ?? this.known.delete(id),
        () => this.known.delete(id),
      );
      this.known.set(id, found);
    }
    return found;
  }

  /** True when the daemon has the image (a cache entry whose image was pruned is a miss). */
  async has(id: string): Promise<boolean> {
    return (await this.lookup(id)) !== undefined;
  }

  /** Bytes of the image (all its layers), as `docker images` shows. */
  async size(id: string): Promise<number> {
    return (await this.lookup(id))?.size ?? 0;
  }
}
