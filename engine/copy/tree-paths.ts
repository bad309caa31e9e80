// Paths inside an unpacked tree (an ADD archive, paths fetched from an image), resolved as unpacking
// into a chroot at the tree's root resolves them: symlinks on the way are followed, never out of the
// tree (an absolute target starts again at its root, `..` stops there). This is how BuildKit unpacks
// an archive: an entry written through the archive's own symlink lands where the link leads inside the
// destination, and one whose way does not exist there fails the step, naming the path.
import { posix } from 'node:path';
import { MsbuildError } from '../errors.js';
import type { SourceNode } from './source-fs.js';

/** Where an archive entry cannot be written, in the words of BuildKit's unpacking. */
export class ArchiveEntryError extends MsbuildError {
  override readonly name = 'ArchiveEntryError';
  override readonly code = 'MSBUILD_ARCHIVE_ENTRY';
}

export interface Tree {
  node(path: string): SourceNode | undefined;
  /** Adds a directory (and nothing else) at `path`, whose parent exists. */
  makeDirectory(path: string): void;
}

/** Symlinks followed on one path before giving up, as Linux does (ELOOP). */
const maxLinks = 40;

type Resolved = { path: string; node: SourceNode | undefined } | { problem: string };

/**
 * `path` (relative to the root) with the symlinks on the way followed; the last component too when
 * `followLast`. `create` makes missing directories on the way (what MkdirAll does).
 */
function walk(tree: Tree, path: string, followLast: boolean, create = false): Resolved {
  let pending = path.split('/').filter((part) => part !== '' && part !== '.');
  let current = '';
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      current = current.includes('/') ? current.slice(0, current.lastIndexOf('/')) : '';
      continue;
    }
    const next = current === '' ? part : `${current}/${part}`;
    let node = tree.node(next);
    const last = pending.length === 0;
    if (node?.type === 'symlink' && (!last || followLast)) {
      if (++links > maxLinks) return { problem: 'too many levels of symbolic links' };
      const target = node.linkname ?? '';
      if (target.startsWith('/')) current = '';
      pending = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...pending];
      continue;
    }
    if (last && !create) return { path: next, node };
    if (node === undefined && create) {
      tree.makeDirectory(next);
      node = tree.node(next);
    }
    if (node === undefined) return { problem: 'no such file or directory' };
    if (node.type !== 'directory') return { problem: 'not a directory' };
    current = next;
  }
  return { path: current, node: tree.node(current) };
}

/**
 * Where an entry named `path` is written: its parent made when missing (Lstat, then MkdirAll, as
 * moby's unpacking does) and resolved through symlinks; the entry itself is not followed (it replaces
 * what is there). `what` is the failing call, as Go names it (`open /link/f`, `symlink x /l`).
 */
export function entryPlace(tree: Tree, path: string, what: (resolvedPath: string) => string): string {
  const slash = path.lastIndexOf('/');
  const parent = slash < 0 ? '' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  const fail = (problem: string) => new ArchiveEntryError(`Error processing tar file: ${what(`/${path}`)}: ${problem}`);
  if (parent !== '') {
    const seen = walk(tree, parent, false);
    if ('problem' in seen || seen.node === undefined) {
      const made = walk(tree, parent, true, true);
      if ('problem' in made) throw fail(made.problem);
    }
  }
  const resolved = walk(tree, parent, true);
  if ('problem' in resolved) throw fail(resolved.problem);
  if (resolved.node === undefined) throw fail('no such file or directory');
  if (resolved.node.type !== 'directory') throw fail('not a directory');
  return resolved.path === '' ? base : `${resolved.path}/${base}`;
}

/** The path a hard link's target names: its parent resolved through symlinks, the name itself not (link(2)). */
export function linkTarget(tree: Tree, target: string): string | undefined {
  const clean = posix.normalize(`/${target}`).replace(/^\/+/, '');
  const slash = clean.lastIndexOf('/');
  const parent = slash < 0 ? '' : clean.slice(0, slash);
  const resolved = walk(tree, parent, true);
  if ('problem' in resolved || resolved.node?.type !== 'directory') return undefined;
  const base = clean.slice(slash + 1);
  return resolved.path === '' ? base : `${resolved.path}/${base}`;
}
