// `--ssh` agents, as buildx parses them: `default` (the caller's $SSH_AUTH_SOCK), `ID=SOCKET`, or
// `ID=KEY[,KEY]` — keys are loaded into an ssh-agent msbuild starts for the build (Debian's
// openssh-client) and stops at its end. Steps reach them through read-only proxies (agent-proxy.ts).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BuildError } from '../build-error.js';

const run = promisify(execFile);

export interface SshSpec {
  id: string;
  /** A socket, or private key files; empty for `default` alone ($SSH_AUTH_SOCK). */
  paths: string[];
}

/** `--ssh` values → specs; an ID given twice is an error, as buildx says it. */
export function parseSshSpecs(values: readonly string[]): SshSpec[] {
  const specs: SshSpec[] = [];
  for (const value of values) {
    const equals = value.indexOf('=');
    const id = equals < 0 ? value : value.slice(0, equals);
    const paths =
      equals < 0
        ? []
        : value
            .slice(equals + 1)
            .split(',')
            .filter((p) => p !== '');
    if (id === '') throw new BuildError(`invalid --ssh ${JSON.stringify(value)}: the ID is empty`);
    if (specs.some((spec) => spec.id === id)) throw new BuildError(`duplicate agent ID "${id}"`);
    specs.push({ id, paths });
  }
  return specs;
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch (error) {
    throw new BuildError(`--ssh: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The build's agents by ID; owns the ssh-agent processes it started. */
export class SshAgents {
  private constructor(
    private readonly sockets: Map<string, string>,
    private readonly started: ChildProcess[],
    private readonly dir: string | undefined,
  ) {}

  static async start(values: readonly string[], tempDir: string): Promise<SshAgents> {
    const specs = parseSshSpecs(values);
    const sockets = new Map<string, string>();
    const started: ChildProcess[] = [];
    let dir: string | undefined;
    const agents = () => new SshAgents(sockets, started, dir);
    try {
      for (const spec of specs) {
        if (spec.paths.length === 0) {
          const socket = process.env.SSH_AUTH_SOCK;
          if (!socket)
            throw new BuildError(`invalid empty ssh agent socket for --ssh ${spec.id}: make sure SSH_AUTH_SOCK is set`);
          sockets.set(spec.id, socket);
          continue;
        }
        const kinds = spec.paths.map(isSocket);
        if (kinds.some(Boolean)) {
          if (spec.paths.length > 1)
            throw new BuildError(
              `--ssh ${spec.id}: ${kinds.every(Boolean) ? 'only single socket allowed' : 'invalid combination of keys and sockets'}`,
            );
          sockets.set(spec.id, spec.paths[0]);
          continue;
        }
        dir ??= await mkdtemp(join(tempDir, 'ssh-'));
        const socket = join(dir, `agent-${sockets.size}.sock`);
        started.push(await startAgent(socket));
        try {
          await run('ssh-add', ['-q', ...spec.paths], {
            env: { ...process.env, SSH_AUTH_SOCK: socket, SSH_ASKPASS: '', DISPLAY: '' },
            timeout: 10_000,
          });
        } catch (error) {
          const why = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
          throw new BuildError(`--ssh ${spec.id}: failed to load ${spec.paths.join(', ')}: ${why}`);
        }
        sockets.set(spec.id, socket);
      }
      return agents();
    } catch (error) {
      await agents().close();
      throw error;
    }
  }

  get(id: string): string | undefined {
    return this.sockets.get(id);
  }

  get ids(): ReadonlyMap<string, string> {
    return this.sockets;
  }

  async close(): Promise<void> {
    for (const child of this.started) child.kill();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** `ssh-agent -D -a SOCKET`, ready once its socket exists. */
async function startAgent(socket: string): Promise<ChildProcess> {
  const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  child.unref();
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new BuildError(`--ssh: cannot start ssh-agent: ${error.message}`)));
    child.once('exit', (code) => reject(new BuildError(`--ssh: ssh-agent exited (${code})`)));
  });
  failed.catch(() => undefined);
  for (let i = 0; i < 100; i++) {
    try {
      if (statSync(socket).isSocket()) return child;
    } catch {
      // Not there yet.
    }
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 20)), failed]);
  }
  child.kill();
  throw new BuildError('--ssh: ssh-agent did not start');
}
