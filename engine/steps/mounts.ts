// RUN --mount: cache volumes (held per their sharing mode), tmpfs, secrets as byte-exact files or env vars
// that exist only for the step, and copies of bind sources (whose content is in the key: bind-sources.ts).
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type Docker from 'dockerode';
import { BuildError } from '../build-error.js';
import { layerImageOf } from '../image/assemble.js';
import type { ImageState } from '../image/state.js';
import type { RunAction } from '../plan/dispatch.js';
import type { RunMount } from '../instructions/types.js';
import type { PreparedBinds } from './bind-sources.js';
import { cacheVolumeName, cacheVolumeOptions, leaseCacheVolume, prepareCacheVolume, type CacheLease } from './cache-volumes.js';
import type { StepContext } from './context.js';
import { LockDirectory } from './lock-files.js';
import type { PreparedMounts } from './run.js';

export { cacheVolumeName } from './cache-volumes.js';

export interface MountSources {
  /** The RUN's bind mount sources, resolved and digested for its key. */
  binds?: PreparedBinds;
  secrets: ReadonlyMap<string, { file?: string; env?: string }>;
  /** Where cache mount holders keep their lock files (shared by msbuild processes using one cache directory). */
  lockDir: string;
  /** The image state the RUN starts from (a new cache volume's root is set through it). */
  state: ImageState;
}

/** A secret's bytes exactly as given (a file is read as bytes: keys and certificates need not be text). */
async function secretValue(mount: RunMount, sources: MountSources): Promise<Buffer | undefined> {
  const id = mount.id !== '' ? mount.id : posix.basename(mount.target);
  const spec = sources.secrets.get(id);
  if (!spec) return undefined;
  if (spec.env !== undefined) {
    const value = process.env[spec.env];
    return value === undefined ? undefined : Buffer.from(value, 'utf8');
  }
  if (spec.file !== undefined) return readFile(spec.file);
  return undefined;
}

/**
 * Leases the RUN's cache volumes, in name order so two RUNs that lock the same caches cannot each
 * wait for the other; a cache mounted twice by one RUN is leased once.
 */
async function leaseCaches(context: StepContext, mounts: readonly RunMount[], sources: MountSources, leases: CacheLease[]): Promise<Map<RunMount, string>> {
  const volumes = new Map<RunMount, string>();
  const caches = mounts.filter((m) => m.type === 'cache');
  if (caches.length === 0) return volumes;
  const locks = new LockDirectory(sources.lockDir);
  const byBase = new Map<string, RunMount[]>();
  for (const mount of caches) {
    const base = cacheVolumeName(mount);
    byBase.set(base, [...(byBase.get(base) ?? []), mount]);
  }
  // Only a new cache with uid/gid/mode needs the image (to set its root through).
  let image: Promise<string | undefined> | undefined;
  const runImage = () => (image ??= layerImageOf(context.docker, sources.state, context.signal).then((layers) => layers.image));
  for (const base of [...byBase.keys()].sort()) {
    const group = byBase.get(base) as RunMount[];
    const lease = await leaseCacheVolume(group[0], locks, context.signal);
    leases.push(lease);
    await prepareCacheVolume(context, group[0], lease.volume, runImage);
    for (const mount of group) volumes.set(mount, lease.volume);
  }
  return volumes;
}

export async function prepareMounts(context: StepContext, action: RunAction, sources: MountSources): Promise<PreparedMounts> {
  const mounts: Docker.MountConfig = [];
  const tmpfs: Record<string, string> = {};
  const cleanups: Array<() => Promise<void>> = [];
  const leases: CacheLease[] = [];
  const release = async () => {
    await Promise.all(cleanups.map((c) => c()));
    // Lock holders go last: the next user of a locked or private cache may start once the RUN is over.
    await Promise.all(leases.map((lease) => lease.release()));
  };
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
          // Leased below, once everything else is ready: a locked cache is held no longer than needed.
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
            // An environment variable is text: this is the one form where a secret is decoded.
            extraEnv.push(`${mount.env}=${value.toString('utf8')}`);
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
          // Writes to a bind mount never reach its source: mount a copy of what was digested for the key.
          if (!sources.binds) throw new Error('internal: bind mounts were not prepared');
          const source = await sources.binds.materialize(mount, await scratch());
          mounts.push({ Type: 'bind', Source: source, Target: target, ReadOnly: mount.readOnly });
          break;
        }
      }
    }
    if (secretsDir) mounts.push({ Type: 'bind', Source: secretsDir, Target: '/run/secrets', ReadOnly: true });
    // The daemon orders mounts by target itself, so the caches can come last.
    for (const [mount, volume] of await leaseCaches(context, action.mounts, sources, leases)) {
      const target = posix.resolve(action.workdir, mount.target);
      mounts.push({ Type: 'volume', Source: volume, Target: target, ReadOnly: mount.readOnly, VolumeOptions: cacheVolumeOptions(mount) });
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { mounts, tmpfs, extraEnv, release };
}
