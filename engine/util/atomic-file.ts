// Files written whole or not at all: a temporary file in the same directory, then a rename, so a
// concurrent reader (another msbuild process) or a crash never sees half of one.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDirectories } from './make-directories.js';

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory, then rename. The
 * directory is made when missing, unless `createDirectory` is false (a file the user named).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Buffer,
  options: { createDirectory?: boolean } = {},
): Promise<void> {
  if (options.createDirectory !== false) await makeDirectories(dirname(path));
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
