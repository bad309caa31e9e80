// Overlay mounts of snapshot chains, as containerd's overlay snapshotter makes them: lower dirs
// newest first, `index=off,redirect_dir=off,metacopy=off` (a metacopy upper would tar as empty files,
// a redirected dir as a missing one). A mount's options must fit in one page: past ~3.5 KB the lower
// dirs are given as short relative names of symlinks in a scratch dir the mount resolves from (as
// Docker's overlay2 does with its `l/` links), so hundreds of layers mount.
import { mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { OciError } from './errors.js';
import { HelperCallError, mountFlags, umountFlags, type OciHelper } from './helper.js';

export const overlayOptions = ['index=off', 'redirect_dir=off', 'metacopy=off'];

/** BuildKit compacts overlay options longer than this (one page less a margin for the kernel's own). */
const maxOptionsLength = 4096 - 512;

export interface OverlaySpec {
  /** Read-only layers, newest first. */
  lowers: readonly string[];
  /** The writable layer and its work dir (same filesystem); none for a read-only view. */
  upper?: { fs: string; work: string };
  target: string;
  /** Where symlinks for very long chains are made (removed once mounted). */
  scratchDir: string;
}

/** How a spec mounts: the mount(2) arguments, and the symlinks a long chain needs first. */
export interface MountPlan {
  type: 'overlay' | 'bind';
  source: string;
  flags: number;
  data: string;
  /** Short name → lower dir, made in `cwd` before mounting. */
  links?: Array<[string, string]>;
  cwd?: string;
}

/** The mount for `spec` (pure). One layer and no upper is a read-only bind; an upper alone a bind. */
export function planOverlay(spec: OverlaySpec, linkDirName: string): MountPlan {
  const { lowers, upper } = spec;
  if (lowers.length === 0) {
    if (!upper) throw new OciError('OCI_MOUNT', 'an overlay needs at least one layer');
    return { type: 'bind', source: upper.fs, flags: mountFlags.bind, data: '' };
  }
  if (!upper && lowers.length === 1)
    return { type: 'bind', source: lowers[0], flags: mountFlags.bind | mountFlags.readonly, data: '' };
  const tail = upper ? [`upperdir=${upper.fs}`, `workdir=${upper.work}`] : [];
  const data = [`lowerdir=${lowers.join(':')}`, ...tail, ...overlayOptions].join(',');
  if (data.length < maxOptionsLength) return { type: 'overlay', source: 'overlay', flags: 0, data };
  const links = lowers.map((dir, i): [string, string] => [i.toString(36), dir]);
  const short = [`lowerdir=${links.map(([name]) => name).join(':')}`, ...tail, ...overlayOptions].join(',');
  if (short.length >= 4096 - 64)
    throw new OciError('OCI_MOUNT', `a chain of ${lowers.length} layers is too long to mount as one overlay`);
  return { type: 'overlay', source: 'overlay', flags: 0, data: short, links, cwd: join(spec.scratchDir, linkDirName) };
}

let linkDirs = 0;

/** Mounts `spec` at `spec.target` (which must exist). */
export async function mountOverlay(helper: OciHelper, spec: OverlaySpec): Promise<void> {
  const plan = planOverlay(spec, `links-${process.pid}-${linkDirs++}`);
  if (plan.links && plan.cwd) {
    await mkdir(plan.cwd, { recursive: true });
    try {
      await Promise.all(plan.links.map(([name, dir]) => symlink(dir, join(plan.cwd as string, name))));
      // The kernel resolves the names while mounting; the links are not needed after.
      await mountWith(helper, plan, spec.target);
    } finally {
      await rm(plan.cwd, { recursive: true, force: true });
    }
    return;
  }
  await mountWith(helper, plan, spec.target);
}

async function mountWith(helper: OciHelper, plan: MountPlan, target: string): Promise<void> {
  try {
    if (plan.type === 'bind') {
      await helper.mount({ source: plan.source, target, type: 'none', flags: plan.flags & ~mountFlags.readonly });
      // A bind mount takes read-only only on a remount.
      if (plan.flags & mountFlags.readonly)
        await helper.mount({
          source: 'none',
          target,
          type: 'none',
          flags: mountFlags.bind | mountFlags.remount | mountFlags.readonly,
        });
      return;
    }
    await helper.mount({ source: plan.source, target, type: plan.type, data: plan.data, cwd: plan.cwd ?? '' });
  } catch (error) {
    if (error instanceof HelperCallError)
      throw new OciError('OCI_MOUNT', `cannot mount the layers at ${target}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * Unmounts `target`; a busy mount (a process that escaped its step still inside) is detached, so
 * the snapshot can still be used once the last user is gone.
 */
export async function unmount(helper: OciHelper, target: string): Promise<void> {
  try {
    await helper.unmount(target);
  } catch (error) {
    if (!(error instanceof HelperCallError)) throw error;
    if (error.errno === 22 /* EINVAL: not a mount point */ || error.errno === 2 /* ENOENT */) return;
    if (error.errno !== 16 /* EBUSY */) throw new OciError('OCI_MOUNT', `cannot unmount ${target}: ${error.message}`);
    await helper.unmount(target, umountFlags.detach);
  }
}
