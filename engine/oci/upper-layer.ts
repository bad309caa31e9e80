// An overlay upper dir as a layer tar, as Docker's overlay2 driver diffs one (the image BuildKit in
// Docker 20.10 leaves): every entry of the upper dir in name order, a whiteout (character device
// 0/0) as an empty `.wh.NAME` (mode 0600), an opaque dir followed by `DIR/.wh..wh..opq` (the dir's
// permissions and owner), hard links by inode, sockets left out, mtimes in whole seconds, and of
// the extended attributes only `security.capability` (version 3 written as 2, as Docker does). The
// kernel's `trusted.overlay.*` attributes never reach a layer; a redirected or metacopy entry (a
// mount made without redirect_dir=off,metacopy=off) is refused rather than written wrong.
import { lstatSync, readdirSync } from 'node:fs';
import { readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from '../util/abort.js';
import { OciError } from './errors.js';
import type { XattrMap } from './helper.js';
import { TarWriter, type TarEntryType, type TarHeader } from './tar-writer.js';

const fileTypeMask = 0o170000;
const fileTypes: Record<number, TarEntryType | 'socket'> = {
  0o100000: 'file',
  0o040000: 'directory',
  0o120000: 'symlink',
  0o020000: 'character-device',
  0o060000: 'block-device',
  0o010000: 'fifo',
  0o140000: 'socket',
};

/** A capability set as Docker keeps it: version 3 (with a root uid) becomes version 2. */
export function layerCapability(value: Buffer): Buffer {
  if (value.length >= 4 && value[3] === 3) {
    const converted = Buffer.from(value.subarray(0, 20));
    converted[3] = 2;
    return converted;
  }
  return value;
}

export interface UpperLayer {
  diffId: string;
  /** Bytes of the tar. */
  size: number;
  /** Bytes of file content. */
  contentSize: number;
  /** Entries written (0: the step changed nothing). */
  entries: number;
}

/** Writes `upper` as a layer tar at `path`; `xattrs` are the upper dir's (OciHelper.overlayXattrs). */
export async function writeUpperLayer(options: {
  upper: string;
  path: string;
  xattrs: XattrMap;
  signal?: AbortSignal;
}): Promise<UpperLayer> {
  const { upper, path, xattrs, signal } = options;
  const tar = await TarWriter.create(path, signal);
  const seen = new Map<string, string>();
  let entries = 0;
  const walk = async (relative: string): Promise<void> => {
    throwIfAborted(signal);
    // Synchronous: a dir's names and their lstats come from the dentry cache, and a thousand
    // round trips through the thread pool cost more than the calls themselves.
    const names = readdirSync(join(upper, relative)).sort(byteOrder);
    const stats = names.map((name) => lstatSync(join(upper, relative, name), { bigint: true }));
    for (const [i, name] of names.entries()) {
      const info = stats[i];
      const child = relative === '' ? name : `${relative}/${name}`;
      const type = fileTypes[Number(info.mode) & fileTypeMask];
      if (type === undefined || type === 'socket') continue;
      const attributes = xattrs.get(child);
      if (attributes?.has('trusted.overlay.redirect') || attributes?.has('user.overlay.redirect'))
        throw new OciError('OCI_LAYER', `/${child} is a redirected overlay dir (mounted without redirect_dir=off)`);
      if (attributes?.has('trusted.overlay.metacopy') || attributes?.has('user.overlay.metacopy'))
        throw new OciError('OCI_LAYER', `/${child} holds only metadata (mounted without metacopy=off)`);
      const mode = Number(info.mode) & 0o7777;
      const base = {
        uid: Number(info.uid),
        gid: Number(info.gid),
        mtime: new Date(Number(info.mtimeMs)),
      };
      const capability = attributes?.get('security.capability');
      const kept = capability ? new Map([['security.capability', layerCapability(capability)]]) : undefined;
      const header: TarHeader = { name: child, type, mode, ...base, ...(kept ? { xattrs: kept } : {}) };
      entries++;
      if (type === 'character-device' && info.rdev === 0n) {
        const slash = child.lastIndexOf('/');
        const whiteout = `${child.slice(0, slash + 1)}.wh.${child.slice(slash + 1)}`;
        await tar.add({ name: whiteout, type: 'file', mode: 0o600, ...base, size: 0 });
        continue;
      }
      if (type === 'directory') {
        await tar.add(header);
        const opaque = attributes?.get('trusted.overlay.opaque') ?? attributes?.get('user.overlay.opaque');
        if (opaque?.toString() === 'y')
          await tar.add({ name: `${child}/.wh..wh..opq`, type: 'file', mode, ...base, mtime: new Date(0), size: 0 });
        await walk(child);
        continue;
      }
      if (type === 'file' && info.nlink > 1n) {
        const inode = `${info.dev}:${info.ino}`;
        const first = seen.get(inode);
        if (first !== undefined) {
          await tar.add({ ...header, type: 'link', linkname: first, size: 0 });
          continue;
        }
        seen.set(inode, child);
      }
      if (type === 'symlink') {
        await tar.add({ ...header, linkname: await readlink(join(upper, child)) });
        continue;
      }
      if (type === 'character-device' || type === 'block-device') {
        await tar.add({ ...header, device: deviceNumbers(info.rdev) });
        continue;
      }
      if (type === 'file') {
        await tar.add({ ...header, size: Number(info.size) }, info.size > 0n ? join(upper, child) : undefined);
        continue;
      }
      await tar.add(header);
    }
  };
  try {
    await walk('');
    const written = await tar.finish();
    return { ...written, entries };
  } catch (error) {
    await tar.abandon();
    await rm(path, { force: true });
    throw error;
  }
}

/** Linux's encoding of a device number (glibc's gnu_dev_major and gnu_dev_minor). */
export function deviceNumbers(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/** Go sorts names by bytes, as filepath.Walk does. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
