// Paths inside a mounted image root, resolved as the image sees them (continuity's fs.RootPath):
// every symlink on the way, the last one too, is followed as if the root were `/`, and `..` stops
// at the root, so no path an image holds can lead msbuild outside it.
import { lstatSync, readlinkSync } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { OciError } from './errors.js';

/** Symlinks followed for one path before giving up (Linux allows 40; continuity 255). */
const maxLinks = 255;

/**
 * The host path of `path` in `root`. Missing components are kept as written (the path may be about
 * to be created). With `followLast: false` a final symlink is not followed (to stat or remove it).
 */
export async function resolveInRoot(root: string, path: string, options: { followLast?: boolean } = {}) {
  const followLast = options.followLast ?? true;
  let pending = posix
    .normalize(`/${path}`)
    .split('/')
    .filter((part) => part !== '');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    const last = pending.length === 0;
    const info = await lstat(candidate).catch(() => undefined);
    if (!info || !info.isSymbolicLink() || (last && !followLast)) {
      resolved.push(part);
      if (!info) {
        // Nothing below a missing component can be a link: the rest is kept as written.
        for (const rest of pending) {
          if (rest === '..') resolved.pop();
          else if (rest !== '.') resolved.push(rest);
        }
        pending = [];
      }
      continue;
    }
    if (++links > maxLinks) throw new OciError('OCI_PATH', `too many levels of symbolic links in ${path}`);
    const target = await readlink(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...target.split('/').filter((p) => p !== ''), ...pending];
  }
  return join(root, ...resolved);
}

/** resolveInRoot without waiting on the thread pool (a handful of lstat calls), for synchronous callers. */
export function resolveInRootSync(root: string, path: string): string {
  let pending = posix
    .normalize(`/${path}`)
    .split('/')
    .filter((part) => part !== '');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch {
      resolved.push(part, ...pending.filter((rest) => rest !== '.'));
      return join(root, ...posix.normalize(`/${resolved.join('/')}`).split('/'));
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > maxLinks) throw new OciError('OCI_PATH', `too many levels of symbolic links in ${path}`);
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...target.split('/').filter((p) => p !== ''), ...pending];
  }
  return join(root, ...resolved);
}
