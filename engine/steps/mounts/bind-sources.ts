// RUN --mount=type=bind sources: resolved and digested before the step's cache key (context files
// through the same ContextFs and content digest as COPY; stage and image files fetched or known by digest).
import { chmod, lchown } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { BuildError } from '../../build-error.js';
import { contentDigestOf, type FileDigestMemo } from '../../cache/content-digest.js';
import { digestOf } from '../../cache/key.js';
import { writeTree } from '../../copy/host-tree.js';
import { cleanSourcePath, followPath, type CopyItem } from '../../copy/resolve.js';
import type { SourceFs } from '../../copy/source-fs.js';
import type { RunMount } from '../../instructions/types.js';
import type { RunAction } from '../../plan/step.js';
import type { FetchedFiles, FilesRequest } from '../../worker/worker.js';

/** An image a bind mount reads from (a stage's result or a named image), by the worker's ref. */
export interface BindImage {
  image: string;
  /** `stage tools`, `image busybox`: for messages. */
  description: string;
}

/** What the build provides to resolve bind mounts. */
export interface BindResolver {
  /** The build context, with .dockerignore applied (the same one COPY reads). */
  context: SourceFs;
  /** The image for `from=` (the caller has waited for a stage to finish). */
  image(from: string): Promise<BindImage>;
  /** Digests of context files by identity, shared with COPY. */
  memo?: FileDigestMemo;
  /** Content digests of image paths by `digestOf({ image, mount: path })`: an image seen before needs no fetch. */
  imageDigests: { get(key: string): string | undefined; set(key: string, digest: string): void };
  /** Reads paths of an image out (the worker's readFiles). */
  readFiles(image: string, request: FilesRequest, signal: AbortSignal): Promise<FetchedFiles>;
  signal: AbortSignal;
}

interface BindSource {
  mount: RunMount;
  /** The source path, cleaned (`''` is the root). */
  path: string;
  from?: BindImage;
  /** Set once the files are readable (always for the context; on demand for images). */
  fs?: SourceFs;
  item?: CopyItem;
}

/** Bind mount sources of one RUN, digested; owns fetched image files until disposed. */
export interface PreparedBinds {
  /** One content digest per bind mount, in mount order: the step key's `mountDigests`. */
  digests: string[];
  /** Per-file digests for cache-miss explanations (context files by path, image sources as one entry). */
  files: Map<string, string>;
  /** A host directory or file holding a bind mount's files, written under `scratchDir`. */
  materialize(mount: RunMount, scratchDir: string): Promise<string>;
  dispose(): Promise<void>;
}

function notFound(mount: RunMount, where: string): BuildError {
  const shown = `/${cleanSourcePath(mount.source)}`;
  return new BuildError(
    where === 'build context'
      ? `bind mount source "${shown}" not found in the build context (or excluded by .dockerignore)`
      : `bind mount source "${shown}" not found in ${where}`,
  );
}

/** Fetches `path` of an image (a symlink with what it points to, inside the image). */
async function fetchImagePath(
  resolver: BindResolver,
  from: BindImage,
  bind: { path: string; mount: RunMount },
): Promise<{ fs: FetchedFiles; item: CopyItem }> {
  const { path, mount } = bind;
  const fs = await resolver.readFiles(from.image, { paths: [path], description: from.description }, resolver.signal);
  try {
    const followed = await followPath(fs, path);
    if (!followed) throw notFound(mount, from.description);
    return { fs, item: { name: path, path: followed.path, argument: mount.source, root: followed.node } };
  } catch (error) {
    await fs.dispose();
    throw error;
  }
}

/**
 * Resolves and digests the bind mounts of `action`: context sources through the context filesystem
 * (symlinks followed inside the context, ignored files absent: `not found`, as in BuildKit), stage
 * and image sources by the content of the mounted path.
 */
export async function prepareBinds(action: RunAction, resolver: BindResolver): Promise<PreparedBinds> {
  const sources: BindSource[] = [];
  const owned: FetchedFiles[] = [];
  const dispose = async () => void (await Promise.all(owned.splice(0).map((fs) => fs.dispose())));
  try {
    const digests: string[] = [];
    const files = new Map<string, string>();
    for (const mount of action.mounts) {
      if (mount.type !== 'bind') continue;
      const path = cleanSourcePath(mount.source);
      if (mount.from === '') {
        const followed = await followPath(resolver.context, path);
        if (!followed) throw notFound(mount, resolver.context.description);
        const item: CopyItem = {
          name: path,
          path: followed.path,
          argument: mount.source === '' ? '.' : mount.source,
          root: followed.node,
        };
        const digest = await contentDigestOf([{ fs: resolver.context, item }], [], resolver.memo, resolver.signal);
        digests.push(digest.digest);
        for (const [file, fileDigest] of digest.files) files.set(file, fileDigest);
        sources.push({ mount, path, fs: resolver.context, item });
        continue;
      }
      const from = await resolver.image(mount.from);
      const memoKey = digestOf({ image: from.image, mount: path });
      const source: BindSource = { mount, path, from };
      let digest = resolver.imageDigests.get(memoKey);
      if (digest === undefined) {
        const fetched = await fetchImagePath(resolver, from, { path, mount });
        owned.push(fetched.fs);
        source.fs = fetched.fs;
        source.item = fetched.item;
        digest = (await contentDigestOf([fetched], [], undefined, resolver.signal)).digest;
        resolver.imageDigests.set(memoKey, digest);
      }
      digests.push(digest);
      // One entry per image source: whether its files were listed depends on the memo, not on what changed.
      files.set(`${from.description}:/${path}`, digest);
      sources.push(source);
    }
    return {
      digests,
      files,
      materialize: async (mount, scratchDir) => {
        const source = sources.find((s) => s.mount === mount);
        if (!source) throw new Error('internal: a bind mount that was not prepared');
        if (!source.fs || !source.item) {
          const fetched = await fetchImagePath(resolver, source.from as BindImage, { path: source.path, mount });
          owned.push(fetched.fs);
          source.fs = fetched.fs;
          source.item = fetched.item;
        }
        const { fs, item } = source;
        if (item.root.type !== 'directory') {
          await writeTree(fs, item.path, scratchDir);
          return join(scratchDir, posix.basename(item.path));
        }
        const dir = join(scratchDir, 'm');
        await writeTree(fs, item.path, dir);
        // writeTree sets what is under the root; the root keeps the source's own mode and owner too.
        if (process.getuid?.() === 0) await lchown(dir, item.root.uid, item.root.gid);
        await chmod(dir, item.root.mode);
        return dir;
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
