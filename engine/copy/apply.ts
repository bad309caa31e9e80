// What a COPY/ADD writes into an image, as layer entries: the destination's missing directories
// (0755, owned by --chown or root), then every copied entry. Works against any view of the target image.
import { posix } from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { LayerEntry } from '../image/layer.js';
import type { KnownFs } from '../image/known-fs.js';
import type { BuildContainer } from '../docker/container.js';
import { isDirectoryStat, isSymlinkStat } from '../docker/container.js';
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
}

export class CopyTargetError extends Error {
  override readonly name = 'CopyTargetError';
}

/** A view of the image through a container that never runs. */
export function containerView(container: BuildContainer): TargetView {
  const kind = async (path: string, hops = 0): Promise<'directory' | 'file' | undefined> => {
    const stat = await container.stat(path);
    if (!stat) return undefined;
    if (isSymlinkStat(stat) && stat.linkTarget !== '' && hops < 40) return kind(stat.linkTarget, hops + 1);
    return isDirectoryStat(stat) ? 'directory' : 'file';
  };
  return {
    kind,
    realPath: (path) => path,
    readsFiles: true,
    readFile: async (path) => {
      if ((await kind(path)) !== 'file') return undefined;
      const archive = await container.getArchive(path);
      return firstFileOf(await buffer(archive));
    },
  };
}

/** The body of the single file in a `GET /archive` tar: header (512 bytes, size in octal at 124), then the body. */
function firstFileOf(tar: Buffer): string {
  const size = parseInt(tar.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim(), 8) || 0;
  return tar.subarray(512, 512 + size).toString('utf8');
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
    }
    if (missing) entries.push({ path: prefix, type: 'directory', mode: 0o755, uid: owner.uid, gid: owner.gid, mtime: request.time });
  }
  const realDest = destIsDirectory ? targetDir : posix.join(targetDir, posix.basename(cleanDest));
  const chmod = chmodFunction(request.chmod);
  for await (const placed of placeItems(request.items, destIsDirectory ? `${realDest}/` : realDest, destIsDirectory, {
    ...(request.owner ? { chown: request.owner } : {}),
    ...(chmod ? { chmod } : {}),
    excludes: request.excludes,
  })) {
    const node = placed.node;
    const body = placed.body;
    const mtime = request.clampMtime && node.mtime > request.clampMtime ? request.clampMtime : node.mtime;
    if (placed.linkTo !== undefined) {
      entries.push({ path: placed.path, type: 'link', mode: node.mode, uid: node.uid, gid: node.gid, mtime, linkname: placed.linkTo, ...(node.pax ? { pax: node.pax } : {}) });
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
