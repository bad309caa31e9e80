// RUN --mount as a container spec's mounts: tmpfs, secrets as byte-exact files (staged in memory:
// secrets.ts) or env vars that exist only for the step, copies of bind sources (whose content is in the
// key: bind-sources.ts), ssh agent sockets (a proxy per mount), and cache mounts, which the worker keeps
// (sharing modes included). The host files made here are removed by
// `release`.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { BuildError } from '../../build-error.js';
import type { RunMount } from '../../instructions/types.js';
import type { RunAction } from '../../plan/step.js';
import { AgentProxy } from '../../ssh/agent-proxy.js';
import type { SpecMount } from '../../worker/container-spec.js';
import { createSecretDirectory } from '../secrets.js';
import type { PreparedBinds } from './bind-sources.js';

/** The mounts of a RUN's container spec, and the host files behind them (owned until released). */
export interface PreparedMounts {
  mounts: SpecMount[];
  /** Environment only this step sees (secrets given as env vars). */
  env: string[];
  release(): Promise<void>;
}

export interface MountSources {
  /** The RUN's bind mount sources, resolved and digested for its key. */
  binds?: PreparedBinds;
  secrets: ReadonlyMap<string, { file?: string; env?: string }>;
  /** Where the host files of the mounts go (the build's temp dir). */
  tempDir: string;
  /** `--ssh` agents by ID, for ssh mounts. */
  sshAgents?: ReadonlyMap<string, string>;
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

export async function prepareMounts(action: RunAction, sources: MountSources): Promise<PreparedMounts> {
  const mounts: SpecMount[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const release = async () => void (await Promise.all(cleanups.map((c) => c())));
  const scratch = async () => {
    const dir = await mkdtemp(join(sources.tempDir, 'mount-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  const secretScratch = async () => {
    const staged = await createSecretDirectory();
    cleanups.push(staged.remove);
    return staged.dir;
  };
  const env: string[] = [];
  let secretsDir: string | undefined;
  try {
    for (const mount of action.mounts) {
      const target = posix.resolve(action.workdir, mount.target);
      switch (mount.type) {
        case 'cache':
          // Leased by the worker, once everything else is ready: a locked cache is held no longer than needed.
          break;
        case 'tmpfs':
          mounts.push({ type: 'tmpfs', target, sizeLimit: mount.sizeLimit });
          break;
        case 'secret': {
          const value = await secretValue(mount, sources);
          if (value === undefined) {
            if (mount.required)
              throw new BuildError(
                `secret ${mount.id || mount.target} is required but was not given (--secret id=...)`,
              );
            break;
          }
          if (mount.env !== undefined) {
            // An environment variable is text: this is the one form where a secret is decoded.
            env.push(`${mount.env}=${value.toString('utf8')}`);
            if (mount.target === '') break;
          }
          const secretTarget = mount.target !== '' ? target : `/run/secrets/${mount.id}`;
          if (posix.dirname(secretTarget) === '/run/secrets') {
            // One directory for all of them: Docker leaves a stub for a mounted file in the layer,
            // and BuildKit leaves only the /run/secrets directory.
            secretsDir ??= await secretScratch();
            const file = join(secretsDir, posix.basename(secretTarget));
            await writeFile(file, value, { mode: 0o400 });
            await chmod(file, mount.mode ?? 0o400);
            break;
          }
          const dir = await secretScratch();
          const file = join(dir, 'secret');
          await writeFile(file, value, { mode: 0o400 });
          await chmod(file, mount.mode ?? 0o400);
          mounts.push({ type: 'bind', source: file, target: secretTarget, readOnly: true });
          break;
        }
        case 'ssh': {
          const id = mount.id !== '' ? mount.id : 'default';
          const agent = sources.sshAgents?.get(id);
          if (agent === undefined) {
            // BuildKit's words; an optional mount is left out.
            if (mount.required)
              throw new BuildError(`no SSH key ${JSON.stringify(id)} forwarded from the client (--ssh ${id}=…)`);
            break;
          }
          // A proxy per mount: the socket gets the mount's owner and mode, and the agent stays read-only.
          const proxy = await AgentProxy.start(agent, join(await scratch(), 'agent.sock'), {
            uid: mount.uid ?? 0,
            gid: mount.gid ?? 0,
            mode: mount.mode ?? 0o600,
          });
          cleanups.push(() => proxy.close());
          mounts.push({ type: 'bind', source: proxy.path, target, readOnly: false });
          break;
        }
        case 'bind': {
          // Writes to a bind mount never reach its source: mount a copy of what was digested for the key.
          if (!sources.binds) throw new Error('internal: bind mounts were not prepared');
          const source = await sources.binds.materialize(mount, await scratch());
          mounts.push({ type: 'bind', source, target, readOnly: mount.readOnly });
          break;
        }
      }
    }
    if (secretsDir) mounts.push({ type: 'bind', source: secretsDir, target: '/run/secrets', readOnly: true });
    for (const mount of action.mounts) {
      if (mount.type !== 'cache') continue;
      mounts.push({
        type: 'cache',
        // A cache without an id is named by its target as written (a relative one too).
        id: mount.id !== '' ? mount.id : mount.target,
        target: posix.resolve(action.workdir, mount.target),
        readOnly: mount.readOnly,
        sharing: mount.sharing === '' ? 'shared' : mount.sharing,
        ...(mount.uid !== undefined ? { uid: mount.uid } : {}),
        ...(mount.gid !== undefined ? { gid: mount.gid } : {}),
        ...(mount.mode !== undefined ? { mode: mount.mode } : {}),
      });
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { mounts, env, release };
}
