// Devices and fifos on the host, for outputs and bind-mount copies: making them (Node has no mknod(2),
// so the system's `mknod` does it; only root may make a device, anyone a fifo) and reading a device's
// numbers back from its stat.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { DeviceNumbers } from './source-fs.js';

const run = promisify(execFile);

export type SpecialFileType = 'character-device' | 'block-device' | 'fifo';

/** True when this process may make devices (a fifo needs no privilege). */
export const mayMakeDevices = typeof process.getuid === 'function' && process.getuid() === 0;

/** True when `type` can be made here: fifos always, devices as root. */
export function canMake(type: SpecialFileType): boolean {
  return type === 'fifo' || mayMakeDevices;
}

/** Makes a device or fifo at `path` (which must not exist) with exactly `mode` (no umask). */
export async function makeSpecialFile(
  path: string,
  type: SpecialFileType,
  mode: number,
  device?: DeviceNumbers,
): Promise<void> {
  const kind =
    type === 'fifo'
      ? ['p']
      : [type === 'character-device' ? 'c' : 'b', String(device?.major ?? 0), String(device?.minor ?? 0)];
  try {
    await run('mknod', ['-m', (mode & 0o7777).toString(8), '--', path, ...kind]);
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    throw new Error(`cannot make ${type} ${path}: ${(failure.stderr ?? '').trim() || failure.message}`);
  }
}

/** Major and minor numbers of a device from `stat().rdev`, as glibc's major()/minor() split it. */
export function deviceNumbers(rdev: bigint): DeviceNumbers {
  const major = ((rdev & 0xfff00n) >> 8n) | ((rdev & 0xfffff00000000000n) >> 32n);
  const minor = (rdev & 0xffn) | ((rdev & 0xffffff00000n) >> 12n);
  return { major: Number(major), minor: Number(minor) };
}
