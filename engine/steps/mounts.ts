// RUN --mount: cache mounts as named Docker volumes that outlive builds, tmpfs, secrets as read-only
// files (or env vars) that exist only for the step, binds from the context or another stage as
// read-only copies. None of them ends up in a layer or a cache key.
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { BuildError } from '../build-error.js';
import { ImageSourceFs } from '../copy/image-source.js';
import { materialize } from '../image/assemble.js';
import type { ImageState } from '../image/state.js';
import type { RunAction } from '../plan/dispatch.js';
import type { BuildPlan } from '../plan/plan.js';
import type { RunMount } from '../instructions/types.js';
import type { StepContext } from './context.js';
import type { PreparedMounts } from './run.js';
import { scratchContainer } from './users.js';

export interface MountSources {
  contextDir: string;
  secrets: ReadonlyMap<string, { file?: string; env?: string }>;
}

/** Docker volume name of a cache mount: the same id (or target) always gets the same volume. */
export function cacheVolumeName(mount: RunMount): string {
  const id = mount.id !== '' ? mount.id : mount.target;
  return `msbuild-cache-${createHash('sha256').update(id).digest('hex').slice(0, 24)}`;
}

async function secretValue(mount: RunMount, sources: MountSources): Promise<string | undefined> {
  const id = mount.id !== '' ? mount.id : posix.basename(mount.target);
  const spec = sources.secrets.get(id);
  if (!spec) return undefined;
  if (spec.env !== undefined) return process.env[spec.env];
  if (spec.file !== undefined) return readFile(spec.file, 'utf8');
  return undefined;
}

/** Files of `image` under `source` in a temporary host directory (for bind mounts from stages). */
async function extractFromImage(context: StepContext, image: string, source: string, into: string): Promise<void> {
  const fs = await ImageSourceFs.create(image);
  const container = await scratchContainer(context, image);
  try {
    await fs.addArchive(source, await container.getArchive(`/${source}`));
    const { writeTree } = await import('../copy/host-tree.js');
    await writeTree(fs, source, into);
  } finally {
    container.release();
    await fs.dispose();
  }
}

export async function prepareMounts(
  context: StepContext,
  action: RunAction,
  plan: BuildPlan,
  stageState: (index: number) => Promise<ImageState>,
  sources: MountSources,
): Promise<PreparedMounts> {
  const mounts: Docker.MountConfig = [];
  const tmpfs: Record<string, string> = {};
  const cleanups: Array<() => Promise<void>> = [];
  const scratch = async () => {
    const dir = await mkdtemp(join(context.tempDir, 'mount-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  const extraEnv: string[] = [];
  let secretsDir: string | undefined;
  try {
    for (const mount of action.mounts) {
      const target = posix.resolve(action.workdir, mount.target);
      switch (mount.type) {
        case 'cache':
          mounts.push({ Type: 'volume', Source: cacheVolumeName(mount), Target: target, ReadOnly: mount.readOnly });
          break;
        case 'tmpfs':
          tmpfs[target] = mount.sizeLimit > 0 ? `size=${mount.sizeLimit}` : '';
          break;
        case 'secret': {
          const value = await secretValue(mount, sources);
          if (value === undefined) {
            if (mount.required) throw new BuildError(`secret ${mount.id || mount.target} is required but was not given (--secret id=...)`);
            break;
          }
          if (mount.env !== undefined) {
            extraEnv.push(`${mount.env}=${value}`);
            if (mount.target === '') break;
          }
          const secretTarget = mount.target !== '' ? target : `/run/secrets/${mount.id}`;
          if (posix.dirname(secretTarget) === '/run/secrets') {
            // One directory for all of them: Docker leaves a stub for a mounted file in the layer,
            // and BuildKit leaves only the /run/secrets directory.
            secretsDir ??= await scratch();
            const file = join(secretsDir, posix.basename(secretTarget));
            await writeFile(file, value, { mode: 0o400 });
            await chmod(file, mount.mode ?? 0o400);
            break;
          }
          const dir = await scratch();
          const file = join(dir, 'secret');
          await writeFile(file, value, { mode: 0o400 });
          await chmod(file, mount.mode ?? 0o400);
          mounts.push({ Type: 'bind', Source: file, Target: secretTarget, ReadOnly: true });
          break;
        }
        case 'ssh':
          throw new BuildError('RUN --mount=type=ssh is not supported by msbuild yet');
        case 'bind': {
          // Writes to a bind mount never reach its source: mount a copy.
          const dir = await scratch();
          const source = mount.source.replace(/^\/+/, '');
          if (mount.from === '') {
            const from = join(sources.contextDir, posix.normalize(`/${source}`));
            await cp(from, join(dir, 'm'), { recursive: true, verbatimSymlinks: true }).catch(async (error: NodeJS.ErrnoException) => {
              if (error.code === 'ENOENT') throw new BuildError(`bind mount source ${mount.source || '.'} not found in the build context`);
              throw error;
            });
          } else {
            const stageIndex = /^\d+$/.test(mount.from) ? Number(mount.from) : plan.graph.byName.get(mount.from.toLowerCase());
            const state = stageIndex !== undefined ? await materialize(context.docker, await stageState(stageIndex)) : undefined;
            const image = state?.imageId ?? mount.from;
            await mkdir(join(dir, 'm'), { recursive: true });
            await extractFromImage(context, image, source, join(dir, 'm'));
          }
          mounts.push({ Type: 'bind', Source: join(dir, 'm'), Target: target, ReadOnly: mount.readOnly });
          break;
        }
      }
    }
    if (secretsDir) mounts.push({ Type: 'bind', Source: secretsDir, Target: '/run/secrets', ReadOnly: true });
  } catch (error) {
    await Promise.all(cleanups.map((c) => c()));
    throw error;
  }
  return {
    mounts,
    tmpfs,
    extraEnv,
    release: async () => void (await Promise.all(cleanups.map((c) => c()))),
  };
}
