// Where copied files land and with which owner and mode: BuildKit's COPY rules (a directory source
// copies its contents, a file goes into a directory destination or is renamed, --chown/--chmod apply
// to every copied entry but not to the destination directory itself; hard links within one source stay
// links; devices and fifos as BuildKit's copier writes them).
import { posix } from 'node:path';
import { MsbuildError } from '../errors.js';
import type { CopyItem } from './resolve.js';
import { walkItem } from './resolve.js';
import type { SourceFs, SourceNode } from './source-fs.js';

export interface Ownership {
  uid: number;
  gid: number;
}

/** A copied entry at its place in the image. */
export interface PlacedEntry {
  /** Absolute path in the image. */
  path: string;
  node: SourceNode;
  /** Where the body of a file is read from. */
  body?: { fs: SourceFs; path: string };
  /** A further name of a hard-linked file: the image path of the name copied first, which it links to. */
  linkTo?: string;
}

/** A destination that cannot hold the sources (several sources into a file path). */
export class CopyDestinationError extends MsbuildError {
  override readonly name = 'CopyDestinationError';
  override readonly code = 'MSBUILD_COPY_DESTINATION';
}

/** `--chmod` as a function of the current mode: octal (`0640`) or symbolic (`u+x,go-w`). */
export function chmodFunction(spec: string): ((mode: number, isDirectory: boolean) => number) | undefined {
  if (spec === '') return undefined;
  if (/^[0-7]+$/.test(spec)) {
    const fixed = parseInt(spec, 8);
    return () => fixed;
  }
  const clauses = spec.split(',').map((clause) => {
    const match = /^([ugoa]*)([-+=])([rwxXst]*|[ugo])$/.exec(clause);
    if (!match) throw new Error(`invalid chmod parameter: '${spec}'`);
    return { who: match[1] === '' ? 'a' : match[1], op: match[2], perms: match[3] };
  });
  return (mode: number, isDirectory: boolean) => {
    let result = mode;
    for (const { who, op, perms } of clauses) {
      const shifts = new Set<number>();
      for (const w of who) {
        if (w === 'u' || w === 'a') shifts.add(6);
        if (w === 'g' || w === 'a') shifts.add(3);
        if (w === 'o' || w === 'a') shifts.add(0);
      }
      let bits = 0;
      if (perms === 'u' || perms === 'g' || perms === 'o') {
        const from = perms === 'u' ? 6 : perms === 'g' ? 3 : 0;
        const value = (result >> from) & 7;
        for (const shift of shifts) bits |= value << shift;
      } else {
        for (const p of perms) {
          for (const shift of shifts) {
            if (p === 'r') bits |= 4 << shift;
            if (p === 'w') bits |= 2 << shift;
            if (p === 'x' || (p === 'X' && (isDirectory || (mode & 0o111) !== 0))) bits |= 1 << shift;
          }
          if (p === 's') {
            if (shifts.has(6)) bits |= 0o4000;
            if (shifts.has(3)) bits |= 0o2000;
          }
          if (p === 't') bits |= 0o1000;
        }
      }
      if (op === '+') result |= bits;
      else if (op === '-') result &= ~bits;
      else {
        let mask = 0;
        for (const shift of shifts) mask |= 7 << shift;
        result = (result & ~mask) | bits;
      }
    }
    return result & 0o7777;
  };
}

export interface PlacementOptions {
  chown?: Ownership;
  chmod?: (mode: number, isDirectory: boolean) => number;
  excludes?: readonly string[];
}

function adjusted(node: SourceNode, options: PlacementOptions): SourceNode {
  const owned = options.chown ? { ...node, uid: options.chown.uid, gid: options.chown.gid } : node;
  if (!options.chmod || node.type === 'symlink') return owned;
  return { ...owned, mode: options.chmod(node.mode, node.type === 'directory') };
}

/** Directory a copy writes into: the destination itself when `destIsDirectory`, else its parent. */
export function copyTargetDirectory(dest: string, destIsDirectory: boolean): string {
  const trimmed = dest.length > 1 ? dest.replace(/\/+$/, '') : dest;
  return destIsDirectory ? trimmed : posix.dirname(trimmed);
}

/**
 * The entries a COPY writes, in order (parents before children). `destIsDirectory` is true when the
 * destination ends with `/` or is an existing directory in the image.
 */
export async function* placeItems(
  items: ReadonlyArray<{ fs: SourceFs; item: CopyItem }>,
  dest: string,
  destIsDirectory: boolean,
  options: PlacementOptions,
): AsyncGenerator<PlacedEntry> {
  const destPath = dest.length > 1 ? dest.replace(/\/+$/, '') : dest;
  if (!destIsDirectory && items.length > 1) {
    throw new CopyDestinationError(
      `When using COPY with more than one source file, the destination must be a directory and end with a / (got ${dest})`,
    );
  }
  for (const { fs, item } of items) {
    // Hard links are kept between the names one source copies (BuildKit's copier is per source): a
    // name whose other names lie outside the copied tree, or in another source, is a file of its own.
    const firstNames = new Map<string, string>();
    const place = (path: string, sourcePath: string, source: SourceNode): PlacedEntry | undefined => {
      const node = asCopied(fs, source);
      if (!node) return undefined;
      const first = node.hardLink === undefined ? undefined : firstNames.get(node.hardLink);
      if (node.hardLink !== undefined && first === undefined) firstNames.set(node.hardLink, path);
      if (first !== undefined) return { path, node: adjusted(node, options), linkTo: first };
      return {
        path,
        node: adjusted(node, options),
        ...(node.type === 'file' && source.type === 'file' ? { body: { fs, path: sourcePath } } : {}),
      };
    };
    if (item.root.type === 'directory') {
      for await (const walked of walkItem(fs, item, options.excludes)) {
        const placed = place(posix.join(destPath, walked.relative), walked.sourcePath, walked.node);
        if (placed) yield placed;
      }
      continue;
    }
    const placed = place(destIsDirectory ? posix.join(destPath, item.name) : destPath, item.path, item.root);
    if (placed) yield placed;
  }
}

/**
 * A node as a copy writes it. BuildKit's file copier (Engine 20.10's, which `docker build` runs) writes
 * a device as an empty regular file with the device's mode and owner, and leaves a fifo out; ADD of an
 * archive unpacks both as they are.
 */
function asCopied(fs: SourceFs, node: SourceNode): SourceNode | undefined {
  if (fs.keepsSpecialFiles) return node;
  if (node.type === 'fifo') return undefined;
  if (node.type !== 'character-device' && node.type !== 'block-device') return node;
  return {
    type: 'file',
    mode: node.mode,
    uid: node.uid,
    gid: node.gid,
    mtime: node.mtime,
    size: 0,
    ...(node.pax ? { pax: node.pax } : {}),
  };
}
