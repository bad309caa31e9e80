// What msbuild knows of an image's filesystem when it wrote every layer itself (scratch stages):
// path → type, owner, mode, link target. Lets COPY build its layer without asking the daemon.
import { posix } from 'node:path';

export interface KnownEntry {
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
}

export class KnownFs {
  private readonly entries: Map<string, KnownEntry>;

  constructor(entries?: Iterable<[string, KnownEntry]>) {
    this.entries = new Map(entries ?? [['/', { type: 'directory', mode: 0o755, uid: 0, gid: 0 }]]);
  }

  clone(): KnownFs {
    return new KnownFs(this.entries);
  }

  toJSON(): Array<[string, KnownEntry]> {
    return [...this.entries];
  }

  /** Records an entry written at `path` (absolute, already free of symlinks). */
  record(path: string, entry: KnownEntry): void {
    const clean = posix.normalize(path);
    if (entry.type !== 'directory') {
      // A file or link replaces whatever was there, including a directory's contents.
      for (const key of [...this.entries.keys()]) if (key.startsWith(`${clean}/`)) this.entries.delete(key);
    }
    this.entries.set(clean, entry);
  }

  get(path: string): KnownEntry | undefined {
    return this.entries.get(posix.normalize(path));
  }

  /**
   * Resolves symlinks in every component of `path` (absolute targets relative to the image root),
   * returning the real path and its entry if it exists.
   */
  resolve(path: string, followLast = true): { path: string; entry: KnownEntry | undefined } {
    let pending = posix
      .normalize(path)
      .split('/')
      .filter((p) => p !== '');
    let resolved: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '.') continue;
      if (part === '..') {
        resolved.pop();
        continue;
      }
      const candidate = `/${[...resolved, part].join('/')}`;
      const entry = this.entries.get(candidate);
      if (entry?.type === 'symlink' && (followLast || pending.length > 0) && hops++ < 255) {
        const target = entry.linkname ?? '';
        if (target.startsWith('/')) resolved = [];
        pending = [...target.split('/').filter((p) => p !== ''), ...pending];
        continue;
      }
      resolved.push(part);
    }
    const real = `/${resolved.join('/')}`;
    return { path: real, entry: this.entries.get(real) };
  }
}
