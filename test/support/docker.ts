// Test helpers for the real daemon: fail loudly when it is missing, temporary contexts, running images,
// listing an image's files (image-files.ts), counting leftover build containers, and what a test file made removed.
import test from 'ava';
import Docker from 'dockerode';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildLabel } from '../../engine/docker/container.js';
import { dockerCli, removeDir, runCommand } from './process.js';

export { imageFiles, type FileEntry } from './image-files.js';
export { dockerCli, removeDir, runCommand, type CommandResult } from './process.js';

export const docker = new Docker();

/** Integration tests need the daemon: its absence is a failure, never a skip. */
export async function requireDaemon(): Promise<void> {
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(
      `integration tests need a Docker daemon (DOCKER_HOST=${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}): ${(error as Error).message}. Run \`make test\`, which starts one.`,
    );
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export type ContextFile = string | { content: string; mode?: number } | { symlink: string };

/** A temporary build context with the given files (paths relative to its root). */
export async function makeContext(files: Record<string, ContextFile>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'msbuild-it-'));
  for (const [path, file] of Object.entries(files)) {
    const target = join(root, path);
    await mkdir(dirname(target), { recursive: true });
    if (typeof file === 'string') await writeFile(target, file);
    else if ('symlink' in file) await symlink(file.symlink, target);
    else {
      await writeFile(target, file.content);
      if (file.mode !== undefined) await chmod(target, file.mode);
    }
  }
  return root;
}

let networkHolder: Promise<string> | undefined;

/**
 * A container whose network namespace (loopback only) the containers runImage starts join, so they
 * make and remove no sandbox of their own: Debian's Engine 20.10.24 can deadlock when sandboxes of
 * parallel tests go at the same time (moby/moby#46661). It ends itself after an hour at the latest.
 */
function sharedNetworkHolder(): Promise<string> {
  networkHolder ??= (async () => {
    const result = await runCommand(dockerCli, [
      'run',
      '-d',
      '--rm',
      '--network',
      'none',
      '--label',
      'io.msbuild.test-netns=1',
      'busybox',
      'sleep',
      '3600',
    ]);
    if (result.code !== 0) throw new Error(`cannot start the tests' network holder: ${result.stderr}`);
    const id = result.stdout.trim();
    process.once('exit', () => spawnSync(dockerCli, ['rm', '-f', id], { stdio: 'ignore' }));
    return id;
  })();
  return networkHolder;
}

/** `NetworkMode` for a test's own container: the shared loopback-only namespace. */
export async function sharedNetworkMode(): Promise<string> {
  return `container:${await sharedNetworkHolder()}`;
}

/** Runs the image (loopback network only) and returns its output; throws on a non-zero exit. */
export async function runImage(image: string, args: string[] = [], entrypoint?: string): Promise<string> {
  const network = await sharedNetworkMode();
  const result = await runCommand(dockerCli, [
    'run',
    '--rm',
    '--network',
    network,
    ...(entrypoint !== undefined ? ['--entrypoint', entrypoint] : []),
    image,
    ...args,
  ]);
  if (result.code !== 0) throw new Error(`docker run ${image} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** Containers a build created that still exist (there must be none once it has ended). */
export async function leftoverContainers(buildId?: string): Promise<string[]> {
  const label = buildId === undefined ? buildLabel : `${buildLabel}=${buildId}`;
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  return containers.map((c) => `${c.Id.slice(0, 12)} ${c.Names.join(',')}`);
}

export async function removeImages(...references: string[]): Promise<void> {
  for (const reference of references)
    await docker
      .getImage(reference)
      .remove({ force: true })
      .catch(() => undefined);
}

/**
 * For a test file that needs the daemon: fails it without one, and after its tests removes the
 * images tagged and the directories made, which its tests push onto the returned lists.
 */
export function madeByThisFile(): { cleanup: string[]; tags: string[] } {
  const made = { cleanup: [] as string[], tags: [] as string[] };
  test.before(requireDaemon);
  test.after.always(async () => {
    await removeImages(...made.tags);
    for (const dir of made.cleanup) await removeDir(dir);
  });
  return made;
}
