// COPY --from sources: paths fetched from an image (through a container that never starts), kept in a
// temporary directory with their tar metadata (owner, mode, links, devices) so the copy sees them as the
// image has them. Unpacked ADD archives are read the same way: entries are placed through the tree's own
// symlinks, and one that cannot be placed (a hard link to a path outside) fails with its path.
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type tarStream from 'tar-stream';
import { readTar } from '../util/tar.js';
import { createTempDir, removeTempDir } from '../util/temp-dirs.js';
import { smallFileBytes, type SourceFs, type SourceNode, type SourceNodeType } from './source-fs.js';
import { ArchiveEntryError, entryPlace, linkTarget, type Tree } from './tree-paths.js';

/** A small archived file collected and written at once (a write stream per file costs more than the file). */
async function writeSmallFile(entry: AsyncIterable<unknown>, hostPath: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  writeFileSync(hostPath, Buffer.concat(chunks));
}

/** Paths of an image made readable as a SourceFs. Owns a temporary directory: call `dispose()`. */
export class ImageSourceFs implements SourceFs {
  private readonly nodes = new Map<string, SourceNode>();
  private readonly children = new Map<string, Set<string>>();
  private constructor(
    readonly description: string,
    private readonly dir: string,
    readonly keepsSpecialFiles: boolean,
  ) {
    this.nodes.set('', { type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0), size: 0 });
  }

  /** `unpacked`: the tree is an archive ADD unpacks, so its devices and fifos are copied as they are. */
  static async create(description: string, options: { unpacked?: boolean } = {}): Promise<ImageSourceFs> {
    return new ImageSourceFs(description, await createTempDir('from'), options.unpacked === true);
  }

  private addNode(path: string, node: SourceNode): void {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/');
      if (!this.nodes.has(ancestor))
        this.nodes.set(ancestor, { type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0), size: 0 });
      this.childrenOf(parts.slice(0, i - 1).join('/')).add(parts[i - 1]);
    }
    this.childrenOf(parts.slice(0, -1).join('/')).add(parts[parts.length - 1]);
    this.nodes.set(path, node);
  }

  private childrenOf(path: string): Set<string> {
    let set = this.children.get(path);
    if (!set) {
      set = new Set();
      this.children.set(path, set);
    }
    return set;
  }

  /**
   * Adds the entries of a `GET /archive?path=P` tar: its top entry is P's base name, so entries are
   * placed under P's parent directory.
   */
  async addArchive(requestedPath: string, archive: Readable): Promise<void> {
    const parent = posix.dirname(posix.normalize(`/${requestedPath}`)).replace(/^\/+/, '');
    await readTar(archive, async (header, entry) => {
      const name = posix.normalize(`/${header.name}`).replace(/^\/+|\/+$/g, '');
      const named = parent === '' ? name : `${parent}/${name}`;
      const type = nodeTypeOf(header.type);
      const node: SourceNode = {
        type,
        mode: (header.mode ?? 0o644) & 0o7777,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        mtime: header.mtime ?? new Date(0),
        size: type === 'file' ? (header.size ?? 0) : 0,
        ...(type === 'symlink' ? { linkname: header.linkname ?? '' } : {}),
        ...(type === 'character-device' || type === 'block-device'
          ? { device: { major: header.devmajor ?? 0, minor: header.devminor ?? 0 } }
          : {}),
        ...(header.pax ? { pax: paxToKeep(header.pax as Record<string, string>) } : {}),
      };
      if (name === '') return;
      // Where the entry lands, through the tree's own symlinks (as BuildKit unpacks in a chroot); an
      // entry whose way leads nowhere fails, naming it.
      const linkName = posix.normalize(`/${header.linkname ?? ''}`).replace(/^\/+/, '');
      const path = entryPlace(this.tree, named, (at) =>
        header.type === 'link'
          ? `link /${linkName} ${at}`
          : header.type === 'symlink'
            ? `symlink ${header.linkname ?? ''} ${at}`
            : header.type === 'directory'
              ? `mkdir ${at}`
              : `open ${at}`,
      );
      if (header.type === 'link') {
        const target = linkTarget(this.tree, parent === '' ? linkName : `${parent}/${linkName}`);
        const linked = target === undefined ? undefined : this.nodes.get(target);
        if (target === undefined || linked === undefined || target === path)
          throw new ArchiveEntryError(
            `Error processing tar file: link /${linkName} /${named}: no such file or directory`,
          );
        if (linked.type === 'directory')
          throw new ArchiveEntryError(
            `Error processing tar file: link /${linkName} /${named}: operation not permitted`,
          );
        this.addHardLink(path, target, node);
        return;
      }
      if (node.type !== 'file') {
        this.addNode(path, node);
        return;
      }
      const hostPath = join(this.dir, path);
      await mkdir(posix.dirname(hostPath), { recursive: true });
      await (node.size <= smallFileBytes
        ? writeSmallFile(entry, hostPath)
        : pipeline(entry, createWriteStream(hostPath)));
      this.addNode(path, node);
      this.hostCopies.delete(path);
    });
  }

  /** Hard-linked paths → the path whose bytes they share. */
  private readonly hostCopies = new Map<string, string>();
  /** Every name of a hard-linked file, by its `hardLink` key. */
  private readonly linkGroups = new Map<string, string[]>();

  /** The tree as path resolution sees it (tree-paths.ts). */
  private readonly tree: Tree = {
    node: (path) => this.nodes.get(path),
    makeDirectory: (path) =>
      this.addNode(path, { type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0), size: 0 }),
  };

  /**
   * A hard link in the archive: another name for a file already in it (a link to anything else, such
   * as a host path or a name further on, fails the step, as unpacking fails). The names share one
   * inode, so the link's owner, mode and time become every name's, as unpacking does.
   */
  private addHardLink(path: string, target: string, header: SourceNode): void {
    const linked = this.nodes.get(target);
    if (!linked) return;
    const key = linked.hardLink ?? target;
    const group = this.linkGroups.get(key) ?? [target];
    // Unpacking changes a symlink's owner but neither its mode nor its times (it has no lchmod).
    const shared =
      linked.type === 'symlink'
        ? { uid: header.uid, gid: header.gid }
        : { uid: header.uid, gid: header.gid, mode: header.mode, mtime: header.mtime };
    for (const name of group) {
      const node = this.nodes.get(name);
      // A name the archive has since replaced with another file is no longer in the group.
      if (node && (name === target || node.hardLink === key))
        this.nodes.set(name, { ...node, ...shared, hardLink: key });
    }
    this.addNode(path, { ...linked, ...shared, hardLink: key });
    this.linkGroups.set(key, [...group, path]);
    this.hostCopies.set(path, this.hostCopies.get(target) ?? target);
  }

  async lstat(path: string): Promise<SourceNode | undefined> {
    return this.nodes.get(posix.normalize(`/${path}`).replace(/^\/+|\/+$/g, ''));
  }

  async readdir(path: string): Promise<string[]> {
    const clean = posix.normalize(`/${path}`).replace(/^\/+|\/+$/g, '');
    return [...(this.children.get(clean) ?? [])].sort();
  }

  private hostPath(path: string): string {
    const clean = posix.normalize(`/${path}`).replace(/^\/+|\/+$/g, '');
    return join(this.dir, this.hostCopies.get(clean) ?? clean);
  }

  open(path: string): Readable {
    return createReadStream(this.hostPath(path));
  }

  readSmall(path: string): Buffer {
    return readFileSync(this.hostPath(path));
  }

  async dispose(): Promise<void> {
    await removeTempDir(this.dir);
  }
}

/** A tar entry's type as a node type; types a tree cannot hold (sockets do not exist in tar) read as files. */
function nodeTypeOf(type: tarStream.Header['type'] | undefined): SourceNodeType {
  switch (type) {
    case 'directory':
    case 'symlink':
    case 'character-device':
    case 'block-device':
    case 'fifo':
      return type;
    default:
      return 'file';
  }
}

/** Extended attributes and capabilities travel with files; other PAX records are tar bookkeeping. */
function paxToKeep(pax: Record<string, string>): Record<string, string> | undefined {
  const kept = Object.entries(pax).filter(
    ([key]) => key.startsWith('SCHILY.xattr.') || key.startsWith('LIBARCHIVE.xattr.'),
  );
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** Files given inline by heredocs (`COPY <<EOF /dest`): mode 0644, owned by root. */
export class InlineSourceFs implements SourceFs {
  readonly description = 'heredoc';
  private readonly files: Map<string, Buffer>;

  constructor(
    files: ReadonlyArray<{ name: string; data: string }>,
    private readonly mtime: Date,
  ) {
    this.files = new Map(files.map((f) => [f.name, Buffer.from(f.data, 'utf8')]));
  }

  async lstat(path: string): Promise<SourceNode | undefined> {
    const clean = posix.normalize(`/${path}`).replace(/^\/+/, '');
    if (clean === '') return { type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: this.mtime, size: 0 };
    const data = this.files.get(clean);
    return data ? { type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: this.mtime, size: data.length } : undefined;
  }

  async readdir(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }

  open(path: string): Readable {
    const data = this.files.get(posix.normalize(`/${path}`).replace(/^\/+/, '')) ?? Buffer.alloc(0);
    return Readable.from([data]);
  }
}
