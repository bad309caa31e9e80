// COPY --from and bind mount sources on the Engine API: paths of an image fetched through a
// never-started container (`GET /archive`), symlinks followed hop by hop inside the image.
import type Docker from 'dockerode';
import { ImageSourceFs } from '../copy/image-source.js';
import { cleanSourcePath, linkTargetOf, matchWildcard } from '../copy/resolve.js';
import type { FilesRequest } from '../worker/worker.js';
import { scratchContainer } from './container-view.js';
import type { BuildContainer, ContainerRegistry } from './container.js';
import { statusCodeOf } from './daemon.js';

/**
 * Paths of an image (and, for a symlink, what it points to) read through a never-started container,
 * for COPY --from and RUN --mount=type=bind,from=. Missing paths are left out. `patterns` are the
 * wildcard sources whose `paths` entry is the directory before the wildcard: the symlinks they match
 * are sources themselves, so what they point to is fetched too, wherever it is (`/usr/bin/*` links
 * to /bin/busybox).
 */
export async function fetchFromImage(
  context: { docker: Docker; registry: ContainerRegistry; buildId: string },
  image: string,
  request: FilesRequest,
  signal: AbortSignal,
): Promise<ImageSourceFs> {
  const fs = await ImageSourceFs.create(request.description);
  const container = await scratchContainer(context, image);
  try {
    const fetched = new Set<string>();
    for (const path of new Set(request.paths)) await fetchFollowingLinks({ fs, container, fetched }, path, signal);
    for (const pattern of request.patterns ?? []) {
      for (const match of await matchWildcard(fs, cleanSourcePath(pattern))) {
        const target = await linkTargetOf(fs, match);
        if (target !== undefined)
          await fetchFollowingLinks({ fs, container, fetched }, cleanSourcePath(target), signal);
      }
    }
    return fs;
  } catch (error) {
    await fs.dispose();
    throw error;
  } finally {
    container.release();
  }
}

/** Symlink hops followed for one source, as the kernel allows. */
const maxLinkHops = 40;

/**
 * Fetches `path` from the container and, when it is a symlink, what it points to, hop by hop: COPY
 * follows a symlinked source (`COPY --from=busybox /bin/sh /sh` copies the busybox binary). `fetched`
 * is shared by a copy's sources, so a target many links share (/bin/busybox) is fetched once.
 */
async function fetchFollowingLinks(
  from: { fs: ImageSourceFs; container: BuildContainer; fetched: Set<string> },
  path: string,
  signal: AbortSignal,
): Promise<void> {
  const { fs, container, fetched } = from;
  let next: string | undefined = path;
  for (let hop = 0; next !== undefined && !fetched.has(next) && hop < maxLinkHops; hop++) {
    fetched.add(next);
    // A file or link that came with a directory already fetched needs no fetch of its own (a
    // directory may be just the parent of something fetched, so it is fetched whole).
    const present = await fs.lstat(next);
    if (present === undefined || present.type === 'directory') {
      try {
        await fs.addArchive(next, await container.getArchive(`/${next}`, signal));
      } catch (error) {
        // A missing path is reported when sources are resolved (with the argument as written).
        if (statusCodeOf(error) !== 404) throw error;
        return;
      }
    }
    const target = await linkTargetOf(fs, next);
    next = target === undefined ? undefined : cleanSourcePath(target);
  }
}
