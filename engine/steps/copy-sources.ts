// COPY/ADD sources: resolved and digested before the step's key (the context through its filesystem
// with .dockerignore applied, an image's paths fetched by the worker, URLs downloaded, Git
// repositories checked out, archives unpacked for ADD, heredocs inline; --exclude and --parents). Owns what it fetched until disposed.
import { contentDigestOf, type ContentDigest, type FileDigestMemo } from '../cache/content-digest.js';
import { DownloadedFs, isArchive, unpackArchive } from '../copy/add-sources.js';
import { checkoutGitSource } from '../copy/git-source.js';
import { InlineSourceFs } from '../copy/image-source.js';
import { hasWildcard } from '../copy/pattern.js';
import { cleanSourcePath, resolveParentsSource, resolveSources, type CopyItem } from '../copy/resolve.js';
import type { SourceFs } from '../copy/source-fs.js';
import { parseGitRef } from '../plan/git-ref.js';
import type { CopyAction } from '../plan/step.js';
import type { StepEnv } from './env.js';

/** Sources resolved and digested; owns fetched files until disposed. */
export interface PreparedCopy {
  items: Array<{ fs: SourceFs; item: CopyItem }>;
  digest: ContentDigest;
  dispose(): Promise<void>;
}

/** Where COPY reads: the context, or an image (a stage's result or an external image) by ref. */
export type ResolvedCopySource =
  { kind: 'context'; fs: SourceFs } | { kind: 'image'; ref: string; description: string };

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

/** A tar archive ADD unpacks: its contents go into the destination directory; anything else as it is. */
async function unpackedIfArchive(
  fs: SourceFs,
  item: CopyItem,
  unpack: boolean,
  owned: Array<{ dispose(): Promise<void> }>,
): Promise<Array<{ fs: SourceFs; item: CopyItem }>> {
  const kind = unpack && item.root.type === 'file' ? await isArchive(fs, item.path) : undefined;
  if (kind === undefined) return [{ fs, item }];
  const archive = await unpackArchive(fs, item.path, kind);
  owned.push(archive);
  const root = await archive.lstat('');
  return root ? [{ fs: archive, item: { name: item.name, path: '', argument: item.argument, root } }] : [];
}

/** Resolves and digests the sources of `action` (fetching them from an image when they are in one). */
export async function prepareCopy(
  env: Pick<StepEnv, 'worker' | 'tempDir' | 'epoch' | 'sshAgents'>,
  action: CopyAction,
  source: ResolvedCopySource,
  read: { memo: FileDigestMemo | undefined; time: Date; signal: AbortSignal },
): Promise<PreparedCopy> {
  const { time, signal } = read;
  const owned: Array<{ dispose(): Promise<void> }> = [];
  try {
    let fs: SourceFs;
    if (source.kind === 'context') fs = source.fs;
    else {
      const wildcards = action.sources.filter((argument) => hasWildcard(cleanSourcePath(argument)));
      const request = { paths: action.sources.map(fetchRoot), patterns: wildcards, description: source.description };
      const fetched = await env.worker.readFiles(source.ref, request, signal);
      owned.push(fetched);
      fs = fetched;
    }
    const items: Array<{ fs: SourceFs; item: CopyItem }> = [];
    for (const argument of action.sources) {
      const git = action.add ? parseGitRef(argument) : undefined;
      if (git) {
        const sshAuthSock = env.sshAgents?.get('default');
        const checkout = await checkoutGitSource(git, {
          argument,
          tempDir: env.tempDir,
          keepGitDir: action.keepGitDir,
          checksum: action.checksum,
          ...(sshAuthSock ? { sshAuthSock } : {}),
          signal,
        });
        owned.push(checkout.fs);
        items.push({ fs: checkout.fs, item: checkout.item });
        continue;
      }
      if (action.add && /^https?:\/\//i.test(argument)) {
        const download = await DownloadedFs.fetch(argument, env.tempDir, { signal, checksum: action.checksum });
        owned.push(download.fs);
        for (const item of await resolveSources(download.fs, [download.name]))
          items.push(...(await unpackedIfArchive(download.fs, item, action.unpackRemote, owned)));
        continue;
      }
      const resolved = action.parents
        ? await resolveParentsSource(fs, argument)
        : await resolveSources(fs, [argument], { excludes: action.excludes });
      for (const item of resolved)
        items.push(...(await unpackedIfArchive(fs, item, action.add && action.unpack, owned)));
    }
    if (action.inline.length > 0) {
      const inline = new InlineSourceFs(action.inline, env.epoch ?? time);
      for (const item of await resolveSources(
        inline,
        action.inline.map((s) => s.name),
      ))
        items.push({ fs: inline, item });
    }
    const digest = await contentDigestOf(items, action.excludes, read.memo, signal);
    return { items, digest, dispose: async () => void (await Promise.all(owned.map((f) => f.dispose()))) };
  } catch (error) {
    await Promise.all(owned.map((f) => f.dispose()));
    throw error;
  }
}
