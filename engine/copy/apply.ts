// What a COPY/ADD writes into an image, as layer entries: the destination's missing directories
// (0755, owned by --chown or root), then every copied entry. Works against any view of the target image.
import { posix } from 'node:path';
import { MsbuildError } from '../errors.js';
import type { KnownFs } from '../image/known-fs.js';
import type { LayerEntry } from '../image/layer.js';
import { chmodFunction, copyTargetDirectory, placeItems, type Ownership } from './layout.js';
import type { CopyItem } from './resolve.js';
import { fileBody, type SourceFs } from './source-fs.js';

/** What COPY needs to know of the image it writes into. */
export interface TargetView {
  /** Kind of `path` after following symlinks (the last component too); undefined when missing. */
  kind(path: string): Promise<'directory' | 'file' | undefined>;
  /** `path` with symlinks resolved where the view knows them (the daemon resolves them itself). */
  realPath(path: string): string;
  /** Contents of a small file (/etc/passwd), or undefined if missing or unknown. */
  readFile(path: string): Promise<string | undefined>;
  /** False when the view cannot read file contents (then a container is needed for --chown names). */
  readonly readsFiles: boolean;
  /**
   * A real (resolved) directory's own attributes, where the view can read them. Then a layer names
   * the existing directories above what it adds as they are, as an overlay's upper dir holds them
   * (copied up): a layer tar without them gets root-owned 0755 parents where it is unpacked.
   */
  attributes?(path: string): Promise<ExistingAttributes | undefined>;
}

export interface ExistingAttributes {
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
}

export class CopyTargetError extends MsbuildError {
  override readonly name = 'CopyTargetError';
  override readonly code = 'MSBUILD_COPY_TARGET';
}

/** A view of an image whose every layer msbuild wrote. */
export function knownView(fs: KnownFs): TargetView {
  return {
    kind: async (path) => {
      const entry = fs.resolve(path).entry;
      return entry === undefined ? undefined : entry.type === 'directory' ? 'directory' : 'file';
    },
    realPath: (path) => fs.resolve(path).path,
    readsFiles: false,
    readFile: async () => undefined,
  };
}

export interface CopyRequest {
  items: ReadonlyArray<{ fs: SourceFs; item: CopyItem }>;
  /** Absolute destination as planned (ends with `/` when it names a directory). */
  dest: string;
  owner?: Ownership;
  chmod: string;
  excludes: readonly string[];
  /** Time stamped on the directories the copy creates. */
  time: Date;
  /** SOURCE_DATE_EPOCH: copied files' mtimes are clamped to it, so layers are reproducible. */
  clampMtime?: Date;
}

/** The entries to write, in order (parents first). Nothing at all when there is nothing to copy. */
export async function copyEntries(request: CopyRequest, target: TargetView): Promise<LayerEntry[]> {
  if (request.items.length === 0) return [];
  const dest = request.dest;
  const endsAsDirectory = dest.endsWith('/') || dest.endsWith('/.') || dest === '/';
  const cleanDest = posix.normalize(dest).replace(/(.)\/+$/, '$1');
  const onlyDirectories = request.items.every(({ item }) => item.root.type === 'directory');
  const destIsDirectory = endsAsDirectory || onlyDirectories || (await target.kind(cleanDest)) === 'directory';
  const targetDir = target.realPath(copyTargetDirectory(cleanDest, destIsDirectory));
  const owner = request.owner ?? { uid: 0, gid: 0 };
  const entries: LayerEntry[] = [];
  const parts = targetDir.split('/').filter((p) => p !== '');
  let missing = false;
  for (let i = 1; i <= parts.length; i++) {
    const prefix = `/${parts.slice(0, i).join('/')}`;
    if (!missing) {
      const kind = await target.kind(prefix);
      if (kind === 'file') throw new CopyTargetError(`cannot copy to ${dest}: ${prefix} is not a directory`);
      missing = kind === undefined;
      const existing = missing ? undefined : await target.attributes?.(prefix);
      if (existing) entries.push({ path: prefix, type: 'directory', ...existing });
    }
    if (missing)
      entries.push({
        path: prefix,
        type: 'directory',
        mode: 0o755,
        uid: owner.uid,
        gid: owner.gid,
        mtime: request.time,
      });
  }
  const realDest = destIsDirectory ? targetDir : posix.join(targetDir, posix.basename(cleanDest));
  // An existing destination directory keeps its own attributes (BuildKit's copier overwrites the
  // metadata of the directories below it only); it is already among the entries then.
  const keptDest = !missing && entries.some((entry) => entry.path === realDest);
  const parentCount = entries.length;
  const chmod = chmodFunction(request.chmod);
  for await (const placed of placeItems(request.items, destIsDirectory ? `${realDest}/` : realDest, destIsDirectory, {
    ...(request.owner ? { chown: request.owner } : {}),
    ...(chmod ? { chmod } : {}),
    excludes: request.excludes,
  })) {
    const node = placed.node;
    const body = placed.body;
    if (keptDest && placed.path === realDest && node.type === 'directory') continue;
    const mtime = request.clampMtime && node.mtime > request.clampMtime ? request.clampMtime : node.mtime;
    if (placed.linkTo !== undefined) {
      entries.push({
        path: placed.path,
        type: 'link',
        mode: node.mode,
        uid: node.uid,
        gid: node.gid,
        mtime,
        linkname: placed.linkTo,
        ...(node.pax ? { pax: node.pax } : {}),
      });
      continue;
    }
    entries.push({
      path: placed.path,
      type: node.type,
      mode: node.mode,
      uid: node.uid,
      gid: node.gid,
      mtime,
      ...(node.type === 'symlink' ? { linkname: node.linkname ?? '' } : {}),
      ...(node.type === 'file' ? { size: node.size } : {}),
      ...(node.device ? { device: node.device } : {}),
      ...(body ? { body: () => fileBody(body.fs, body.path, node.size) } : {}),
      ...(node.pax ? { pax: node.pax } : {}),
    });
  }
  // Nothing copied (every source excluded) and nothing created: no layer, whatever lies above.
  if (!missing && entries.length === parentCount) return [];
  return entries;
}

/** Records written entries in a known filesystem (scratch stages). */
export function recordEntries(fs: KnownFs, entries: readonly LayerEntry[]): void {
  for (const entry of entries) {
    fs.record(entry.path, {
      // Hard links, devices and fifos are files to path resolution: none is a directory or a symlink.
      type: entry.type === 'directory' || entry.type === 'symlink' ? entry.type : 'file',
      mode: entry.mode,
      uid: entry.uid,
      gid: entry.gid,
      ...(entry.linkname !== undefined ? { linkname: entry.linkname } : {}),
    });
  }
}
