// Which msbuild process owns something a build leaves while it runs (a container label, a temporary
// directory's name): this host and the process ID. A leftover whose process no longer runs on this
// host belongs to a build that was killed, and the next build removes it.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';

/** `host:pid` of this process (the value of the owner label on containers). */
export function ownerOfThisProcess(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * A short tag of this host for file names (host names can be long or hold any character): a /tmp
 * shared with containers of other hosts, whose processes this one cannot see, is left alone.
 */
export function hostTag(): string {
  return createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
}

/** True when process `pid` of this host still runs (or exists under another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
