// Secrets for RUN --mount=type=secret: the sources checked before the build starts (as the docker CLI
// checks them, used or not), read as bytes, and staged for a container where a crash leaves nothing
// readable on disk.
import { stat } from 'node:fs/promises';
import { BuildError } from '../build-error.js';
import { createTempDir, removeTempDir } from '../util/temp-dirs.js';

export type SecretSources = ReadonlyMap<string, { file?: string; env?: string }>;

/** Go's words for the usual stat errors, as the docker CLI prints them. */
function statProblem(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'no such file or directory';
  if (error.code === 'EACCES') return 'permission denied';
  if (error.code === 'ENOTDIR') return 'not a directory';
  return error.message;
}

/** Throws, as `docker build --secret` does, when a secret's file cannot be found (even one no step uses). */
export async function checkSecretSources(secrets: SecretSources): Promise<void> {
  for (const [id, spec] of secrets) {
    if (spec.file === undefined) continue;
    try {
      await stat(spec.file);
    } catch (error) {
      throw new BuildError(
        `could not parse secrets: [id=${id},src=${spec.file}]: failed to stat ${spec.file}: stat ${spec.file}: ${statProblem(error as NodeJS.ErrnoException)}`,
      );
    }
  }
}

/**
 * A directory (0700) for a RUN's secret files, bind-mounted into its container: on a memory file
 * system (/dev/shm) and named for this process, so the bytes never reach a disk, and what a `kill -9`
 * leaves is removed by the next msbuild's sweep of dead processes' directories.
 */
export async function createSecretDirectory(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await createTempDir('secrets', { inMemory: true });
  return { dir, remove: () => removeTempDir(dir) };
}
