// Applies image layers to a host directory in order, with OCI whiteouts (`.wh.x` deletes x,
// `.wh..wh..opq` empties a directory), never writing outside the directory: names are cleaned and
// entries whose parent is a symlink are skipped rather than written through it. Everything a layer can
// hold is written as it is: hard links as links, symlinks with their times, fifos, and devices as root.
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, readdir, rm, symlink, utimes } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { canMake, makeSpecialFile } from '../copy/special-files.js';
import { readTar, type TarHeader } from '../util/tar.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** True when every directory between `root` and `path`'s parent is a real directory (no symlink). */
async function parentsAreDirectories(root: string, relative: string): Promise<boolean> {
  const parts = relative.split('/').slice(0, -1);
  let current = root;
  for (const part of parts) {
    current = join(current, part);
    try {
      const stats = await lstat(current);
      if (!stats.isDirectory()) return false;
    } catch {
      await mkdir(current, { recursive: true });
    }
  }
  return true;
}

/** True when `relative` exists under `root` and no directory on the way to it is a symlink. */
async function reachedWithoutLinks(root: string, relative: string): Promise<boolean> {
  const parts = relative.split('/');
  let current = root;
  for (let i = 0; i < parts.length; i++) {
    current = join(current, parts[i]);
    const stats = await lstat(current).catch(() => undefined);
    if (!stats || (i < parts.length - 1 && !stats.isDirectory())) return false;
  }
  return true;
}

/** Owner (as root), mode and times from a tar header, on a path that is not a symlink. */
async function setMetadata(target: string, header: TarHeader): Promise<void> {
  if (isRoot) await lchown(target, header.uid ?? 0, header.gid ?? 0).catch(() => undefined);
  await chmod(target, header.mode ?? 0o644);
  await utimes(target, header.mtime ?? new Date(0), header.mtime ?? new Date(0));
}

async function removeChildren(path: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(path);
  } catch {
    return;
  }
  await Promise.all(names.map((name) => rm(join(path, name), { recursive: true, force: true })));
}

/** Applies one layer tar (a stream) to `root`. Directory metadata is fixed up after all files. */
export async function applyLayer(layer: Readable, root: string): Promise<void> {
  const directories: Array<{ path: string; mode: number; uid: number; gid: number; mtime: Date }> = [];
  await readTar(layer, async (header, body) => {
    const relative = posix.normalize(`/${header.name}`).replace(/^\/+|\/+$/g, '');
    if (relative === '') return;
    const base = posix.basename(relative);
    const target = join(root, relative);
    if (!(await parentsAreDirectories(root, relative))) return;
    if (base === '.wh..wh..opq') {
      await removeChildren(dirname(target));
      return;
    }
    if (base.startsWith('.wh.')) {
      await rm(join(dirname(target), base.slice(4)), { recursive: true, force: true });
      return;
    }
    const existing = await lstat(target).catch(() => undefined);
    if (existing && !(existing.isDirectory() && header.type === 'directory'))
      await rm(target, { recursive: true, force: true });
    switch (header.type) {
      case 'directory':
        await mkdir(target, { recursive: true });
        directories.push({
          path: target,
          mode: header.mode ?? 0o755,
          uid: header.uid ?? 0,
          gid: header.gid ?? 0,
          mtime: header.mtime ?? new Date(0),
        });
        return;
      case 'symlink':
        await symlink(header.linkname ?? '', target);
        if (isRoot) await lchown(target, header.uid ?? 0, header.gid ?? 0).catch(() => undefined);
        await lutimes(target, header.mtime ?? new Date(0), header.mtime ?? new Date(0));
        return;
      case 'link': {
        // Another name for a file already written; never through a symlink, which could lead the
        // link to a host file.
        const linked = posix.normalize(`/${header.linkname ?? ''}`).replace(/^\/+/, '');
        if (linked === '' || !(await reachedWithoutLinks(root, linked))) return;
        const made = await link(join(root, linked), target).then(
          () => true,
          () => false,
        );
        // The names share an inode: the link's owner, mode and time are the file's, as Docker applies them.
        if (made && !(await lstat(target)).isSymbolicLink()) await setMetadata(target, header);
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo':
        // Devices need root; without it the output has no such entry rather than a stand-in.
        if (!canMake(header.type)) return;
        await makeSpecialFile(target, header.type, header.mode ?? 0o644, {
          major: header.devmajor ?? 0,
          minor: header.devminor ?? 0,
        });
        await setMetadata(target, header);
        return;
      case 'file':
      case 'contiguous-file':
        await pipeline(body, createWriteStream(target, { mode: (header.mode ?? 0o644) & 0o777 }));
        await setMetadata(target, header);
        return;
      default:
        return;
    }
  });
  for (const directory of directories.reverse()) {
    if (isRoot) await lchown(directory.path, directory.uid, directory.gid).catch(() => undefined);
    await chmod(directory.path, directory.mode);
    await utimes(directory.path, directory.mtime, directory.mtime);
  }
}

/** Applies `layers` (tar files, bottom first) to `root`. */
export async function flattenLayers(layers: readonly string[], root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const layer of layers) await applyLayer(createReadStream(layer), root);
}
