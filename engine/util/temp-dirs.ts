// Temporary directories of builds (layer tarballs, downloads, mount sources). Each is named after the
// process that made it, `msbuild-<purpose>-h<host>-p<pid>-XXXXXX`, so a later build removes what a
// killed msbuild left (a second Ctrl-C, the OOM killer), as it removes such containers; and this
// process's live ones can be removed synchronously just before a forced exit. What must never reach a
// disk (secrets) goes to a memory file system (/dev/shm), swept the same way.
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostTag, processAlive } from './owner.js';

/** Directories this process made and has not removed yet. */
const live = new Set<string>();

/** The name prefix of a temp dir for `purpose` made by process `pid` of this host (mkdtemp adds 6 characters). */
export function tempDirPrefix(purpose: string, pid = process.pid): string {
  return `msbuild-${purpose}-h${hostTag()}-p${pid}-`;
}

const ownedName = /^msbuild-.+-h([0-9a-f]{8})-p(\d+)-[A-Za-z0-9]{6}$/;

const tmpfsMagic = 0x01021994;
/** Memory file systems a process may stage files in, in order of preference. */
const memoryRoots = ['/dev/shm', process.env.XDG_RUNTIME_DIR].filter((dir): dir is string => !!dir);

let memoryRoot: Promise<string | undefined> | undefined;

/** The first of memoryRoots that is a tmpfs this process can write to, or undefined. */
export function memoryTempRoot(): Promise<string | undefined> {
  memoryRoot ??= (async () => {
    for (const root of memoryRoots) {
      const stats = await statfs(root).catch(() => undefined);
      if (stats?.type !== tmpfsMagic) continue;
      const probe = await mkdtemp(join(root, tempDirPrefix('probe'))).catch(() => undefined);
      if (probe === undefined) continue;
      await rm(probe, { recursive: true, force: true });
      return root;
    }
    return undefined;
  })();
  return memoryRoot;
}

/**
 * A new temporary directory owned by this process (mode 0700). `inMemory`: on a memory file system,
 * when the machine has one (else under TMPDIR, like the others).
 */
export async function createTempDir(purpose: string, options: { inMemory?: boolean } = {}): Promise<string> {
  const root = (options.inMemory ? await memoryTempRoot() : undefined) ?? tmpdir();
  const dir = await mkdtemp(join(root, tempDirPrefix(purpose)));
  live.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  live.delete(dir);
}

/**
 * Removes this process's temporary directories at once, before an exit that will not wait for the
 * builds' own cleanup. Errors are ignored: whatever stays is removed by the next build.
 */
export function removeTempDirsSync(): void {
  for (const dir of live) {
    try {
      rmSync(dir, { recursive: true, force: true });
      live.delete(dir);
    } catch {
      // The next build removes it.
    }
  }
}

/**
 * Removes temporary directories of msbuild processes of this host that no longer run, under TMPDIR
 * and on the memory file system. Returns how many.
 */
export async function removeOrphanedTempDirs(): Promise<number> {
  const here = hostTag();
  let removed = 0;
  const memory = await memoryTempRoot();
  for (const root of new Set([tmpdir(), ...(memory ? [memory] : [])])) {
    for (const name of await readdir(root).catch(() => [] as string[])) {
      const match = ownedName.exec(name);
      if (!match || match[1] !== here) continue;
      const pid = Number(match[2]);
      if (pid === process.pid || processAlive(pid)) continue;
      await rm(join(root, name), { recursive: true, force: true }).then(
        () => removed++,
        () => undefined,
      );
    }
  }
  return removed;
}
