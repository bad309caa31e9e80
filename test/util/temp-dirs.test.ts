// Unit: temporary directories are named after their process; a build removes those of msbuild
// processes that no longer run (and only those), and a forced exit removes this process's at once.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTempDir,
  removeOrphanedTempDirs,
  removeTempDirsSync,
  tempDirPrefix,
} from '../../engine/util/temp-dirs.js';

/** A pid that surely does not run any more: a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

// os.tmpdir() follows TMPDIR; serial so that no other test of this file sees it changed.
test.serial('orphaned temp dirs of dead processes go; live processes, other hosts and other names stay', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'msbuild-unit-tmp-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = root;
  try {
    const dead = join(root, `${tempDirPrefix('0123456789ab', deadPid())}AbC123`);
    await mkdir(dead);
    await writeFile(join(dead, 'layer-x.tar'), 'partial');
    const mine = await createTempDir('0123456789ab');
    const otherHost = join(root, `msbuild-0123456789ab-h00000000-p${deadPid()}-AbC123`);
    const unrelated = join(root, 'msbuild-from-AbC123');
    await mkdir(otherHost);
    await mkdir(unrelated);
    t.true(mine.includes(`-p${process.pid}-`));
    t.is(await removeOrphanedTempDirs(), 1);
    t.false(existsSync(dead));
    t.deepEqual((await readdir(root)).sort(), [mine, otherHost, unrelated].map((p) => p.slice(root.length + 1)).sort());
    removeTempDirsSync();
    t.false(existsSync(mine), 'removed synchronously');
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    await rm(root, { recursive: true, force: true });
  }
});
