// Making a directory and its missing parents, for paths the user names (the cache dir, an output's
// destination). Node's own recursive mkdir spins forever where the kernel answers ENOENT for a new
// entry under a parent that exists (`/proc/x`: it makes the parent again, gets EEXIST, and retries the
// child); this walk asks each path once and fails with the first error.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export async function makeDirectories(path: string): Promise<void> {
  const missing: string[] = [];
  for (let current = resolve(path); ;) {
    try {
      if ((await stat(current)).isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${current}'`), { code: 'ENOTDIR' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const directory of missing.reverse()) {
    try {
      await mkdir(directory);
    } catch (error) {
      // Made meanwhile by another process: what was wanted.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
