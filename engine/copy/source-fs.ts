// The filesystems COPY/ADD read from, behind one interface: the build context on the host
// (confined to its root, .dockerignore applied, owned by root) and files fetched from an image.
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { IgnoreRules } from '../context/ignore.js';

export type SourceNodeType = 'file' | 'directory' | 'symlink';

export interface SourceNode {
  type: SourceNodeType;
  /** Permission bits with setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  size: number;
  linkname?: string;
  /** Extended attributes / PAX records to carry over. */
  pax?: Record<string, string>;
}

/** A read-only tree addressed by POSIX paths relative to its root (`''` is the root). */
export interface SourceFs {
  /** What kind of source this is, for messages (`build context`, `stage build`). */
  readonly description: string;
  lstat(path: string): Promise<SourceNode | undefined>;
  /** Entry names of a directory, sorted. */
  readdir(path: string): Promise<string[]>;
  open(path: string): Readable;
  /**
   * A string that changes whenever the file's content may have changed (inode, size, mtime, ctime),
   * so content digests can be remembered; absent where no such identity exists.
   */
  identity?(path: string): Promise<string | undefined>;
}

export function nodeFromStats(stats: Stats, linkname?: string): SourceNode {
  const type: SourceNodeType = stats.isDirectory() ? 'directory' : stats.isSymbolicLink() ? 'symlink' : 'file';
  return {
    type,
    mode: stats.mode & 0o7777,
    uid: stats.uid,
    gid: stats.gid,
    mtime: stats.mtime,
    size: type === 'file' ? stats.size : 0,
    ...(linkname !== undefined ? { linkname } : {}),
  };
}

/**
 * The build context: files under `root` that .dockerignore does not exclude. Special files
 * (sockets, devices, fifos) are skipped as BuildKit skips them; everything is owned by root.
 */
export class ContextFs implements SourceFs {
  readonly description = 'build context';

  constructor(
    readonly root: string,
    private readonly ignore: IgnoreRules,
  ) {}

  private hostPath(path: string): string {
    // Paths are already cleaned relative to the root, so `..` cannot appear; join keeps it inside.
    return join(this.root, posix.normalize(`/${path}`));
  }

  async lstat(path: string): Promise<SourceNode | undefined> {
    const clean = posix.normalize(`/${path}`).slice(1);
    const ignored = this.ignore.ignores(clean);
    if (ignored && !(await this.mayHoldIncluded(clean))) return undefined;
    let stats: Stats;
    try {
      stats = await lstat(this.hostPath(clean));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
    if (!stats.isFile() && !stats.isDirectory() && !stats.isSymbolicLink()) return undefined;
    const linkname = stats.isSymbolicLink() ? await readlink(this.hostPath(clean)) : undefined;
    return { ...nodeFromStats(stats, linkname), uid: 0, gid: 0 };
  }

  async readdir(path: string): Promise<string[]> {
    const clean = posix.normalize(`/${path}`).slice(1);
    const names = await readdir(this.hostPath(clean));
    const visible: string[] = [];
    for (const name of names) {
      const child = clean === '' ? name : `${clean}/${name}`;
      // An ignored directory may still hold re-included (`!pattern`) files, so directories stay visible
      // when some exception pattern could reach inside them.
      if (!this.ignore.ignores(child) || (await this.mayHoldIncluded(child))) visible.push(name);
    }
    return visible.sort();
  }

  private async mayHoldIncluded(path: string): Promise<boolean> {
    if (!this.ignore.patterns.some((p) => p.startsWith('!'))) return false;
    try {
      return (await lstat(this.hostPath(path))).isDirectory();
    } catch {
      return false;
    }
  }

  open(path: string): Readable {
    return createReadStream(this.hostPath(path));
  }

  async identity(path: string): Promise<string | undefined> {
    try {
      const stats = await lstat(this.hostPath(path), { bigint: true });
      return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
    } catch {
      return undefined;
    }
  }
}
