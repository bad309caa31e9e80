// Exclusive and shared holds on a name, as files in a directory, so RUNs of this and other msbuild
// processes on the machine agree on who uses a cache volume. A hold whose process died is stale and taken over.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { makeDirectories } from './make-directories.js';

/** Who holds a lock file: the process (with its start time, since PIDs are reused) and the hold. */
interface Owner {
  host: string;
  pid: number;
  /** Start time of the process (Linux /proc), '' where unknown. */
  start: string;
  token: string;
}

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const self = { host: hostname(), pid: process.pid, start: processStart(process.pid) ?? '' };
/** Tokens of the holds this process has now. */
const held = new Set<string>();

function alive(owner: Owner): boolean {
  // Another machine sharing the directory: its processes cannot be checked, so its holds count.
  if (owner.host !== self.host) return true;
  if (owner.pid === self.pid && owner.start === self.start) return held.has(owner.token);
  if (owner.start !== '') {
    const start = processStart(owner.pid);
    if (start !== undefined) return start === owner.start;
  }
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Owner;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Lock files are created whole (link of a written file), so an unreadable one is not half-written:
    // it is not ours to judge, and counts as held.
    return { ...self, pid: -1, start: '', token: 'unreadable', host: '' };
  }
}

/** A hold on a name; `release` removes its file (safe to call twice). */
export interface Hold {
  release(): Promise<void>;
}

/** Holds in one directory (created on first use). */
export class LockDirectory {
  constructor(private readonly dir: string) {}

  private exclusivePath(name: string): string {
    return join(this.dir, `${name}.lock`);
  }

  private sharedPrefix(name: string): string {
    return `${name}.shared.`;
  }

  private newOwner(): Owner {
    return { ...self, token: randomBytes(8).toString('hex') };
  }

  private async writeOwner(path: string, owner: Owner): Promise<void> {
    await writeFile(path, JSON.stringify(owner), { flag: 'wx' });
  }

  private hold(path: string, owner: Owner): Hold {
    held.add(owner.token);
    return {
      release: async () => {
        if (!held.delete(owner.token)) return;
        await rm(path, { force: true });
        wakeWaiters();
      },
    };
  }

  /** Creates the exclusive lock file whole (a written file linked into place), or returns false when it exists. */
  private async createExclusive(name: string, owner: Owner): Promise<boolean> {
    await makeDirectories(this.dir);
    const temporary = join(this.dir, `${name}.tmp.${owner.token}`);
    try {
      await this.writeOwner(temporary, owner);
      await link(temporary, this.exclusivePath(name));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  /**
   * The name held by no one else (no exclusive holder, no shared holder), or undefined. Holds of
   * processes that died are removed on the way.
   */
  async tryExclusive(name: string): Promise<Hold | undefined> {
    const owner = this.newOwner();
    const path = this.exclusivePath(name);
    let created = false;
    // A few attempts: the lock may vanish (released) or be stale (removed) between our looks at it.
    for (let attempt = 0; attempt < 3; attempt++) {
      created = await this.createExclusive(name, owner);
      if (created) break;
      const current = await readOwner(path);
      if (current === undefined) continue;
      if (alive(current)) return undefined;
      await this.removeStale(path, current);
    }
    if (!created) return undefined;
    const hold = this.hold(path, owner);
    for (const file of await this.sharedFiles(name)) {
      const sharer = await readOwner(join(this.dir, file));
      if (sharer === undefined) continue;
      if (alive(sharer)) {
        await hold.release();
        return undefined;
      }
      await rm(join(this.dir, file), { force: true });
    }
    return hold;
  }

  /** A shared hold on the name, or undefined while someone holds it exclusively. */
  async tryShared(name: string): Promise<Hold | undefined> {
    await makeDirectories(this.dir);
    const owner = this.newOwner();
    const path = join(this.dir, `${this.sharedPrefix(name)}${owner.token}`);
    // Written before the exclusive lock is read, as an exclusive holder writes its lock before it reads
    // the shared holds: of two that race, at least one sees the other.
    await this.writeOwner(path, owner);
    const hold = this.hold(path, owner);
    const exclusive = await readOwner(this.exclusivePath(name));
    if (exclusive !== undefined && alive(exclusive)) {
      await hold.release();
      return undefined;
    }
    return hold;
  }

  private async sharedFiles(name: string): Promise<string[]> {
    const prefix = this.sharedPrefix(name);
    return (await readdir(this.dir).catch(() => [] as string[])).filter((file) => file.startsWith(prefix));
  }

  /** Moves a dead holder's lock away; puts it back if it turned out to be a live one that replaced it meanwhile. */
  private async removeStale(path: string, stale: Owner): Promise<void> {
    const aside = `${path}.stale.${randomBytes(8).toString('hex')}`;
    try {
      await rename(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const moved = await readOwner(aside);
      if (moved !== undefined && moved.token !== stale.token) await link(aside, path).catch(() => undefined);
    } finally {
      await rm(aside, { force: true });
    }
  }
}

let waiters: Array<() => void> = [];

function wakeWaiters(): void {
  const woken = waiters;
  waiters = [];
  for (const wake of woken) wake();
}

/**
 * Resolves after `ms`, or sooner when a hold of this process is released; rejects when `signal`
 * aborts. Holds of other processes are noticed by the caller polling again.
 */
export function waitForRelease(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      waiters = waiters.filter((w) => w !== done);
      resolve();
    };
    const onAbort = () => {
      clearTimeout(timer);
      waiters = waiters.filter((w) => w !== done);
      reject(signal?.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(done, ms);
    waiters.push(done);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
