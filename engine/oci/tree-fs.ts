// A mounted image tree (a stage's snapshots, read through a read-only overlay) as a COPY source:
// what ImageSourceFs gives for a daemon image, read in place with the files' own owners, modes,
// devices and hard links, so COPY --from a stage needs no container and no copy to a temp dir.
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, type BigIntStats } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { SourceFs, SourceNode, SourceNodeType } from '../copy/source-fs.js';
import { deviceNumbers } from './upper-layer.js';

const types: Record<number, SourceNodeType> = {
  0o100000: 'file',
  0o040000: 'directory',
  0o120000: 'symlink',
  0o020000: 'character-device',
  0o060000: 'block-device',
  0o010000: 'fifo',
};

export class TreeFs implements SourceFs {
  constructor(
    readonly root: string,
    readonly description: string,
  ) {}

  private hostPath(path: string): string {
    return join(this.root, posix.normalize(`/${path}`));
  }

  // Synchronous on purpose, as ContextFs: a walk costs a syscall per file, not a thread-pool trip.
  async lstat(path: string): Promise<SourceNode | undefined> {
    let stats: BigIntStats;
    try {
      stats = lstatSync(this.hostPath(path), { bigint: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
    const type = types[Number(stats.mode) & 0o170000];
    if (type === undefined) return undefined;
    return {
      type,
      mode: Number(stats.mode) & 0o7777,
      uid: Number(stats.uid),
      gid: Number(stats.gid),
      mtime: new Date(Number(stats.mtimeMs)),
      size: type === 'file' ? Number(stats.size) : 0,
      ...(type === 'symlink' ? { linkname: readlinkSync(this.hostPath(path)) } : {}),
      ...(type === 'character-device' || type === 'block-device' ? { device: deviceNumbers(stats.rdev) } : {}),
      ...(type === 'file' && stats.nlink > 1n ? { hardLink: `${stats.dev}:${stats.ino}` } : {}),
      identity: `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`,
    };
  }

  async readdir(path: string): Promise<string[]> {
    return readdirSync(this.hostPath(path)).sort();
  }

  open(path: string): Readable {
    return createReadStream(this.hostPath(path));
  }

  readSmall(path: string): Buffer {
    return readFileSync(this.hostPath(path));
  }
}
