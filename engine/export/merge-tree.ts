// Merging a staged directory tree into a directory that already holds files, as BuildKit's local
// exporter does (fsutil's DiskWriter, receiving with Merge): what the output has replaces its
// namesake, one rename per entry (atomic for each file); nothing else in the directory is removed.
// A symlink already in the directory is replaced, never written through, so nothing lands outside it;
// where a directory meets a non-directory, the old one goes first and the new one takes its place.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, lchown, lstat, readdir, rename, rm, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Moves `source` to `target`, replacing a non-directory there. Across file systems (a mount inside
 * the destination) it is copied to a temporary name beside `target` first, so the swap stays one rename.
 */
async function moveEntry(source: string, target: string): Promise<void> {
  try {
    await rename(source, target);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
  }
  const temporary = join(dirname(target), `.${randomBytes(6).toString('hex')}.msbuild-partial`);
  try {
    // GNU cp -a keeps what a layer can hold: owners, modes, times, hard links, devices and fifos.
    await run('cp', ['-a', '--no-target-directory', '--', source, temporary]);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

/** Gives an existing directory the owner, mode and times of the output's directory of that name. */
async function copyDirectoryMetadata(target: string, stats: Stats): Promise<void> {
  if (isRoot) await lchown(target, stats.uid, stats.gid).catch(() => undefined);
  await chmod(target, stats.mode & 0o7777);
  await utimes(target, stats.atime, stats.mtime);
}

/**
 * Merges the tree at `staged` into the existing directory `dest` and leaves `staged` empty. Parents are
 * settled before their children, so no entry is ever reached through a symlink of `dest`. Walks with a
 * list, not recursion: a tree's depth is the image's to choose.
 */
export async function mergeTree(staged: string, dest: string): Promise<void> {
  const directories: Array<{ target: string; stats: Stats }> = [];
  const pending: string[] = [''];
  for (let relative = pending.pop(); relative !== undefined; relative = pending.pop()) {
    for (const name of await readdir(join(staged, relative))) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const source = join(staged, path);
      const target = join(dest, path);
      const [ours, theirs] = await Promise.all([
        lstat(source),
        lstat(target).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined;
          throw error;
        }),
      ]);
      if (ours.isDirectory() && theirs?.isDirectory()) {
        pending.push(path);
        directories.push({ target, stats: ours });
        continue;
      }
      // A directory cannot be renamed over a file, nor a file over a directory (BuildKit removes it too).
      if (theirs && (theirs.isDirectory() || ours.isDirectory())) await rm(target, { recursive: true, force: true });
      await moveEntry(source, target);
    }
  }
  // After every move: a rename inside a directory would change its times again.
  for (const { target, stats } of directories) await copyDirectoryMetadata(target, stats);
}
