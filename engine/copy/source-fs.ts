// The filesystems COPY/ADD read from, behind one interface: the build context on the host
// (confined to its root, .dockerignore applied, owned by root) and files fetched from an image.
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import type { IgnoreRules } from '../context/ignore.js';
import { MsbuildError } from '../errors.js';
import { deviceNumbers } from './special-files.js';

export type SourceNodeType = 'file' | 'directory' | 'symlink' | 'character-device' | 'block-device' | 'fifo';

/** Device numbers of a character or block device. */
export interface DeviceNumbers {
  major: number;
  minor: number;
}

export interface SourceNode {
  type: SourceNodeType;
  /** Permission bits with setuid/setgid/sticky. */
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  size: number;
  linkname?: string;
  /** Device numbers, for character and block devices. */
  device?: DeviceNumbers;
  /**
   * The same for every name of a file with several hard links (its inode, or its first name in an
   * archive): a copy writes the second name it meets as a hard link to the first, as BuildKit does.
   */
  hardLink?: string;
  /** Extended attributes / PAX records to carry over. */
  pax?: Record<string, string>;
  /**
   * A string that changes whenever the file's content may have changed (device, inode, size, mtime,
   * ctime), so content digests can be remembered; absent where no such identity exists.
   */
  identity?: string;
}

/**
 * Files up to this size are read whole and synchronously. From the page cache that takes
 * microseconds, where a stream or async read costs ~0.15 ms in thread-pool round trips: 5,000 small
 * context files went from 2 s to a tenth of that.
 */
export const smallFileBytes = 64 * 1024;

/** A read-only tree addressed by POSIX paths relative to its root (`''` is the root). */
export interface SourceFs {
  /** What kind of source this is, for messages (`build context`, `stage build`). */
  readonly description: string;
  lstat(path: string): Promise<SourceNode | undefined>;
  /** Entry names of a directory, sorted. */
  readdir(path: string): Promise<string[]>;
  open(path: string): Readable;
  /** The whole content of a file of at most `smallFileBytes`, where reading it at once is cheap. */
  readSmall?(path: string): Buffer;
  /**
   * True for an unpacked archive, whose devices and fifos ADD writes as they are. Elsewhere a copy
   * follows BuildKit's file copier: a device becomes an empty regular file, a fifo is left out.
   */
  readonly keepsSpecialFiles?: boolean;
}

/** The file's body as the cheapest thing to read: a buffer for a small file, else a stream. */
export function fileBody(fs: SourceFs, path: string, size: number): Buffer | Readable {
  return fs.readSmall && size <= smallFileBytes ? fs.readSmall(path) : fs.open(path);
}

/** A context file msbuild cannot copy as BuildKit would (a name that is not valid UTF-8). */
export class ContextNameError extends MsbuildError {
  override readonly name = 'ContextNameError';
  override readonly code = 'MSBUILD_CONTEXT_NAME';
}

/**
 * A name as read from the disk: the string for valid UTF-8; else every byte above 0x7f as a lone
 * surrogate (U+DC80 to U+DCFF), which no valid name holds, so the name can be named in an error.
 */
function nameOf(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes)) return text;
  return [...bytes].map((byte) => String.fromCharCode(byte < 0x80 ? byte : 0xdc00 + byte)).join('');
}

const escapedByte = /[\udc80-\udcff]/;

/** A path with escaped bytes shown as `\xff`, for messages. */
function printable(path: string): string {
  return path.replace(/[\udc80-\udcff]/g, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16)}`);
}

/**
 * The build context: files under `root` that .dockerignore does not exclude, everything owned by root.
 * Special files are what BuildKit's context transfer makes of them: a socket is an empty regular file,
 * devices and fifos are themselves (a COPY then writes a device as an empty file and leaves a fifo
 * out, see layout.ts). A name that is not valid UTF-8, which BuildKit copies byte for byte and msbuild
 * cannot write into a layer yet, fails the copy that reaches it, naming it (never silently left out).
 */
export class ContextFs implements SourceFs {
  readonly description: string = 'build context';
  /** Context paths that are sockets: read as empty files. */
  private readonly sockets = new Set<string>();

  constructor(
    readonly root: string,
    private readonly ignore: IgnoreRules,
  ) {}

  private hostPath(path: string): string {
    // Paths are already cleaned relative to the root, so `..` cannot appear; join keeps it inside.
    return join(this.root, posix.normalize(`/${path}`));
  }

  // Synchronous calls on purpose: a walk of thousands of files costs one syscall each instead of a
  // thread-pool round trip each (see smallFileBytes).
  async lstat(path: string): Promise<SourceNode | undefined> {
    const clean = posix.normalize(`/${path}`).slice(1);
    const ignored = this.ignore.ignores(clean);
    if (ignored && !this.mayHoldIncluded(clean)) return undefined;
    if (escapedByte.test(clean))
      throw new ContextNameError(
        `cannot copy "${printable(clean)}" from the build context: its name is not valid UTF-8, which msbuild cannot write into an image yet (rename it, or exclude it in .dockerignore)`,
      );
    let stats: BigIntStats;
    try {
      stats = lstatSync(this.hostPath(clean), { bigint: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
    const type: SourceNodeType = stats.isDirectory()
      ? 'directory'
      : stats.isSymbolicLink()
        ? 'symlink'
        : stats.isCharacterDevice()
          ? 'character-device'
          : stats.isBlockDevice()
            ? 'block-device'
            : stats.isFIFO()
              ? 'fifo'
              : 'file';
    if (stats.isSocket()) this.sockets.add(clean);
    return {
      type,
      mode: Number(stats.mode) & 0o7777,
      uid: 0,
      gid: 0,
      mtime: new Date(Number(stats.mtimeMs)),
      size: type === 'file' && !stats.isSocket() ? Number(stats.size) : 0,
      ...(type === 'symlink' ? { linkname: readlinkSync(this.hostPath(clean)) } : {}),
      ...(type === 'character-device' || type === 'block-device' ? { device: deviceNumbers(stats.rdev) } : {}),
      ...(type === 'file' && stats.nlink > 1n ? { hardLink: `${stats.dev}:${stats.ino}` } : {}),
      identity: `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`,
    };
  }

  async readdir(path: string): Promise<string[]> {
    const clean = posix.normalize(`/${path}`).slice(1);
    const names = readdirSync(this.hostPath(clean), { encoding: 'buffer' }).map(nameOf);
    const visible: string[] = [];
    for (const name of names) {
      const child = clean === '' ? name : `${clean}/${name}`;
      // An ignored directory may still hold re-included (`!pattern`) files, so directories stay visible
      // when some exception pattern could reach inside them.
      if (!this.ignore.ignores(child) || this.mayHoldIncluded(child)) visible.push(name);
    }
    return visible.sort();
  }

  /**
   * BuildKit's walker enters an excluded directory only when some exception pattern, as written,
   * starts with the directory's path (`!docs/README.md` reaches `docs`; `!**\/keep` reaches nothing);
   * a directory it enters is copied, even when nothing inside it is re-included.
   */
  private mayHoldIncluded(path: string): boolean {
    const prefix = `${path}/`;
    if (!this.ignore.patterns.some((p) => p.startsWith('!') && `${p.slice(1)}/`.startsWith(prefix))) return false;
    try {
      return lstatSync(this.hostPath(path)).isDirectory();
    } catch {
      return false;
    }
  }

  open(path: string): Readable {
    if (this.sockets.has(posix.normalize(`/${path}`).slice(1))) return Readable.from([]);
    return createReadStream(this.hostPath(path));
  }

  readSmall(path: string): Buffer {
    if (this.sockets.has(posix.normalize(`/${path}`).slice(1))) return Buffer.alloc(0);
    return readFileSync(this.hostPath(path));
  }
}
