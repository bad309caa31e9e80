// Temporary directories of builds (layer tarballs, downloads, mount sources). Each is named after the
// process that made it, `msbuild-<purpose>-h<host>-p<pid>-XXXXXX`, so a later build removes what a
// killed msbuild left (a second Ctrl-C, the OOM killer), as it removes such containers; and this
// process's live ones can be removed synchronously just before a forced exit.
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
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

/** A new temporary directory owned by this process. */
export async function createTempDir(purpose: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), tempDirPrefix(purpose)));
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

/** Removes temporary directories of msbuild processes of this host that no longer run. Returns how many. */
export async function removeOrphanedTempDirs(): Promise<number> {
  const root = tmpdir();
  const names = await readdir(root).catch(() => [] as string[]);
  const here = hostTag();
  let removed = 0;
  for (const name of names) {
    const match = ownedName.exec(name);
    if (!match || match[1] !== here) continue;
    const pid = Number(match[2]);
    if (pid === process.pid || processAlive(pid)) continue;
    await rm(join(root, name), { recursive: true, force: true }).then(() => removed++, () => undefined);
  }
  return removed;
}
