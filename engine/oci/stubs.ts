// Mount stubs: runc creates an empty file or dir for a mount target missing from the root
// (/etc/hosts, /etc/resolv.conf, a RUN --mount target); BuildKit removes those still empty after
// the step (executor/stubs.go), with their missing parents too (current BuildKit's recursive mode),
// and puts back the times of the dir they were in (buildkit#3148), so they never reach a layer.
// /dev, /proc and /sys, which runc also creates, stay, as under BuildKit.
import { lstat, readdir, rmdir, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { resolveInRoot } from './root-path.js';

/** Before the step: the targets (and missing parents) runc is about to create. */
export async function findMountStubs(root: string, targets: readonly string[]): Promise<string[]> {
  const stubs: string[] = [];
  for (const target of ['/etc/resolv.conf', '/etc/hosts', ...targets]) {
    const clean = join('/', target);
    if (clean === '/') continue;
    let path = await resolveInRoot(root, clean).catch(() => undefined);
    while (path !== undefined && path !== root && (await lstat(path).catch(() => undefined)) === undefined) {
      stubs.push(path);
      path = dirname(path);
    }
  }
  return stubs;
}

/** After the step: the stubs still empty are removed, their parent dirs' times restored. */
export async function removeMountStubs(root: string, stubs: readonly string[]): Promise<void> {
  for (const stub of stubs) {
    // A step may have replaced a stub's parent with a link: only a path that still resolves to itself is touched.
    const path = await resolveInRoot(root, relative(root, stub), { followLast: false }).catch(() => undefined);
    if (path !== stub) continue;
    const info = await lstat(stub).catch(() => undefined);
    if (!info) continue;
    if (info.isDirectory()) {
      if ((await readdir(stub)).length > 0) continue;
    } else if (info.size !== 0) continue;
    const parent = dirname(stub);
    const times = await stat(parent).catch(() => undefined);
    await (info.isDirectory() ? rmdir(stub) : unlink(stub)).catch(() => undefined);
    if (times) await utimes(parent, times.atime, times.mtime).catch(() => undefined);
  }
}
