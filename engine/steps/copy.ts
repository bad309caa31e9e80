// COPY/ADD steps. The sources are resolved and digested first (the cache key needs them); on a miss
// the layer is written by msbuild and loaded when the image's files are all known (scratch stages),
// or extracted into a never-started container and committed otherwise. Every phase (digesting,
// writing the layer, the upload, the commit) stops when the step's signal aborts.
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { copyEntries, containerView, knownView, recordEntries, type TargetView } from '../copy/apply.js';
import { ImageSourceFs, InlineSourceFs } from '../copy/image-source.js';
import { hasWildcard } from '../copy/pattern.js';
import { cleanSourcePath, linkTargetOf, matchWildcard, resolveSources, type CopyItem } from '../copy/resolve.js';
import type { SourceFs } from '../copy/source-fs.js';
import { DownloadedFs, isArchive, unpackArchive } from '../copy/add-sources.js';
import { contentDigestOf, type ContentDigest, type FileDigestMemo } from '../cache/content-digest.js';
import type { BuildContainer } from '../docker/container.js';
import { statusCodeOf } from '../docker/daemon.js';
import { addWrittenLayer, adoptCommittedLayer } from '../image/assemble.js';
import { writeLayer } from '../image/layer.js';
import type { CopyAction, DispatchedStep } from '../plan/dispatch.js';
import type { ImageState } from '../image/state.js';
import type { StepContext, StepOutcome } from './context.js';
import { ownerFor, scratchContainer } from './users.js';

/** Sources resolved and digested; owns fetched files until disposed. */
export interface PreparedCopy {
  items: Array<{ fs: SourceFs; item: CopyItem }>;
  digest: ContentDigest;
  dispose(): Promise<void>;
}

/** Where COPY reads: the context, or an image (a stage's result or an external image) by daemon ID. */
export type ResolvedCopySource = { kind: 'context'; fs: SourceFs } | { kind: 'image'; image: string; description: string };

/** The directory to fetch from an image for a source argument: itself, or the part before a wildcard. */
function fetchRoot(argument: string): string {
  const clean = cleanSourcePath(argument);
  if (!hasWildcard(clean)) return clean;
  const parts = clean.split('/');
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (hasWildcard(part)) break;
    fixed.push(part);
  }
  return fixed.join('/');
}

/**
 * Paths of an image (and, for a symlink, what it points to) read through a never-started container,
 * for COPY --from and RUN --mount=type=bind,from=. Missing paths are left out. `patterns` are the
 * wildcard sources whose `paths` entry is the directory before the wildcard: the symlinks they match
 * are sources themselves, so what they point to is fetched too, wherever it is (`/usr/bin/*` links
 * to /bin/busybox).
 */
export async function fetchFromImage(
  context: StepContext,
  image: string,
  description: string,
  paths: readonly string[],
  patterns: readonly string[] = [],
): Promise<ImageSourceFs> {
  const fs = await ImageSourceFs.create(description);
  const container = await scratchContainer(context, image);
  try {
    const fetched = new Set<string>();
    for (const path of new Set(paths)) await fetchFollowingLinks(fs, container, path, fetched, context.signal);
    for (const pattern of patterns) {
      for (const match of await matchWildcard(fs, cleanSourcePath(pattern))) {
        const target = await linkTargetOf(fs, match);
        if (target !== undefined) await fetchFollowingLinks(fs, container, cleanSourcePath(target), fetched, context.signal);
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
async function fetchFollowingLinks(fs: ImageSourceFs, container: BuildContainer, path: string, fetched: Set<string>, signal: AbortSignal): Promise<void> {
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

export async function prepareCopy(
  context: StepContext,
  action: CopyAction,
  source: ResolvedCopySource,
  memo: FileDigestMemo | undefined,
  time: Date,
): Promise<PreparedCopy> {
  const owned: Array<{ dispose(): Promise<void> }> = [];
  try {
    let fs: SourceFs;
    if (source.kind === 'context') fs = source.fs;
    else {
      const wildcards = action.sources.filter((argument) => hasWildcard(cleanSourcePath(argument)));
      const fetched = await fetchFromImage(context, source.image, source.description, action.sources.map(fetchRoot), wildcards);
      owned.push(fetched);
      fs = fetched;
    }
    const items: Array<{ fs: SourceFs; item: CopyItem }> = [];
    for (const argument of action.sources) {
      if (action.add && /^https?:\/\//i.test(argument)) {
        const download = await DownloadedFs.fetch(argument, context.tempDir, context.signal);
        owned.push(download.fs);
        for (const item of await resolveSources(download.fs, [download.name])) items.push({ fs: download.fs, item });
        continue;
      }
      for (const item of await resolveSources(fs, [argument])) {
        const kind = action.add && action.unpack && item.root.type === 'file' ? await isArchive(fs, item.path) : undefined;
        if (kind === undefined) {
          items.push({ fs, item });
          continue;
        }
        // ADD unpacks local archives: their contents are copied into the destination directory.
        const archive = await unpackArchive(fs, item.path, kind);
        owned.push(archive);
        const root = await archive.lstat('');
        if (root) items.push({ fs: archive, item: { name: item.name, path: '', argument, root } });
      }
    }
    if (action.inline.length > 0) {
      const inline = new InlineSourceFs(action.inline, context.epoch ?? time);
      for (const item of await resolveSources(inline, action.inline.map((s) => s.name))) items.push({ fs: inline, item });
    }
    const digest = await contentDigestOf(items, action.excludes, memo, context.signal);
    return { items, digest, dispose: async () => void (await Promise.all(owned.map((f) => f.dispose()))) };
  } catch (error) {
    await Promise.all(owned.map((f) => f.dispose()));
    throw error;
  }
}

export async function executeCopy(
  context: StepContext,
  step: DispatchedStep,
  action: CopyAction,
  prepared: PreparedCopy,
  state: ImageState,
  time: Date,
): Promise<StepOutcome> {
  const layerPath = join(context.tempDir, `layer-${Math.random().toString(36).slice(2)}.tar`);
  const requestFor = async (view: TargetView) => ({
    items: prepared.items,
    dest: action.dest,
    owner: await ownerFor(context, state, action.chown, view),
    chmod: action.chmod,
    excludes: action.excludes,
    time: context.epoch ?? time,
    ...(context.epoch ? { clampMtime: context.epoch } : {}),
  });
  try {
    if (state.knownFs) {
      // Every file of the image is known: write the layer and load it; no container needed.
      const view = knownView(state.knownFs);
      const entries = await copyEntries(await requestFor(view), view);
      const layer = entries.length > 0 ? await writeLayer(entries, layerPath, context.signal) : undefined;
      const next = addWrittenLayer(state, layer, step.configAfter, step.history, time, context.epoch);
      const knownFs = state.knownFs.clone();
      recordEntries(knownFs, entries);
      return { state: { ...next, knownFs }, layerSize: layer?.contentSize ?? 0 };
    }
    if (state.layerImageId === undefined) throw new Error('internal: an image without layers must have a known filesystem');
    const container = await scratchContainer(context, state.layerImageId);
    try {
      const view = containerView(container);
      const entries = await copyEntries(await requestFor(view), view);
      if (entries.length > 0) {
        await writeLayer(entries, layerPath, context.signal);
        await container.putArchive(createReadStream(layerPath), '/', context.signal);
      }
      const committed = await container.commit(context.signal);
      return await adoptCommittedLayer(context.docker, state, committed, step.configAfter, step.history, time, context.epoch);
    } finally {
      container.release();
    }
  } finally {
    // A written layer stays until it is loaded (with the stage); the build's temp dir goes at its end.
    if (!state.knownFs) await rm(layerPath, { force: true });
  }
}
