// The build context as a directory: checked before anything else, with the words docker build uses
// (`unable to prepare context: ...`), so a missing path or a file never builds as if it were empty.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BuildError } from '../build-error.js';

/** Throws unless `given` (as the user wrote it) names a directory; a symlink to one will do, as with docker. */
export async function checkContextDirectory(given: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(given)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new BuildError(`unable to prepare context: path ${JSON.stringify(given)} not found`);
    throw new BuildError(`unable to prepare context: ${(error as Error).message}`);
  }
  if (!isDirectory) throw new BuildError(`unable to prepare context: context must be a directory: ${resolve(given)}`);
}
