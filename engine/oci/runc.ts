// runc under msbuild's own root (`<state>/runc`, never dockerd's): `run` in the foreground with the
// step's output piped out and its exit status returned, `kill` on cancel (retried until the
// container exists or runc is gone, as BuildKit does, so an interrupted step dies within a second),
// and `list`/`delete` for the containers a killed msbuild left. `runc run` without --keep removes
// the container and its cgroup itself when the process exits. runc gets its own session, so a
// Ctrl-C at the terminal reaches msbuild, which kills the step, and not runc directly.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { abortReason } from '../util/abort.js';
import { OciError } from './errors.js';

export interface RuncOptions {
  /** The runc binary. */
  binary: string;
  /** runc's state root (private to msbuild). */
  root: string;
}

export interface RunResult {
  exitCode: number;
  /** Set when runc itself failed (the container never ran, or broke): its own error message. */
  runcError?: string;
}

/** Container IDs name their owner process, so recovery touches only those of dead processes. */
export function containerIdFor(pid: number, serial: number): string {
  return `msbuild-${pid}-${serial}-${Math.random().toString(36).slice(2, 8)}`;
}

export function ownerOfContainer(id: string): number | undefined {
  const match = /^msbuild-(\d+)-/.exec(id);
  return match ? Number(match[1]) : undefined;
}

function runcArgs(options: RuncOptions, args: string[], log?: string): string[] {
  return ['--root', options.root, ...(log ? ['--log', log, '--log-format', 'json'] : []), ...args];
}

/** runc's last error-level log message, if it logged one. */
async function runcErrorIn(log: string): Promise<string | undefined> {
  const text = await readFile(log, 'utf8').catch(() => '');
  let message: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' || entry.level === 'fatal') message = entry.msg;
    } catch {
      message = line;
    }
  }
  return message;
}

/** Runs one short runc command, returning its output; an OciError when it fails. */
export function runcCommand(options: RuncOptions, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.binary, runcArgs(options, args), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new OciError('OCI_RUNC', `cannot run ${options.binary}: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new OciError('OCI_RUNC', `runc ${args[0]} failed: ${errors.trim() || `exit code ${code}`}`));
    });
  });
}

/**
 * The container's init: runc's child (its threads' `children` lists), else the pid runc wrote (the
 * bundle may be gone with the state dir). SIGKILL to it ends every process of its pid namespace.
 */
async function initPids(runcPid: number | undefined, pidFile: string): Promise<number[]> {
  const pids = new Set<number>();
  if (runcPid !== undefined) {
    for (const task of await readdir(`/proc/${runcPid}/task`).catch(() => [] as string[])) {
      const children = await readFile(`/proc/${runcPid}/task/${task}/children`, 'utf8').catch(() => '');
      for (const pid of children.split(' ').filter(Boolean)) pids.add(Number(pid));
    }
  }
  const written = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(written) && written > 1) pids.add(written);
  return [...pids].filter((pid) => Number.isInteger(pid) && pid > 1);
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

/**
 * `runc run` of the bundle; resolves with the process's exit code. Aborting `signal` kills the
 * container (SIGKILL) and resolves once runc has removed it.
 */
export function runContainer(
  options: RuncOptions,
  run: { id: string; bundle: string; log: string; onOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void },
  signal?: AbortSignal,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const pidFile = join(run.bundle, 'init.pid');
    const child = spawn(
      options.binary,
      runcArgs(options, ['run', '--pid-file', pidFile, '--bundle', run.bundle, run.id], run.log),
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    child.stdout.on('data', (chunk: Buffer) => run.onOutput('stdout', chunk));
    child.stderr.on('data', (chunk: Buffer) => run.onOutput('stderr', chunk));
    let killing: NodeJS.Timeout | undefined;
    let fallback: NodeJS.Timeout | undefined;
    const kill = () => {
      // The container may not exist yet, or runc may be between steps: kill until runc is gone.
      const attempt = () => {
        void runcCommand(options, ['kill', run.id, 'KILL'], 2000).catch(() => undefined);
        killing = setTimeout(attempt, 100);
      };
      attempt();
      // runc stuck, or its state gone (`runc kill` cannot find the container): after 1 s runc goes,
      // and so does the container's init, whose death ends every process of its pid namespace.
      // Not unref'd: an exiting msbuild waits for it (cleared once runc is gone).
      fallback = setTimeout(() => {
        void initPids(child.pid, pidFile).then((pids) => {
          child.kill('SIGKILL');
          killAll(pids);
        });
      }, 1000);
    };
    signal?.addEventListener('abort', kill, { once: true });
    child.on('error', (error) => {
      signal?.removeEventListener('abort', kill);
      reject(new OciError('OCI_RUNC', `cannot run ${options.binary}: ${error.message}`));
    });
    child.on('close', (code, killedBy) => {
      clearTimeout(killing);
      clearTimeout(fallback);
      signal?.removeEventListener('abort', kill);
      if (signal?.aborted) return reject(abortReason(signal));
      void runcErrorIn(run.log).then((runcError) => {
        const exitCode = code ?? 128 + (killedBy === 'SIGKILL' ? 9 : 15);
        resolve({ exitCode, ...(runcError && exitCode !== 0 ? { runcError } : {}) });
      });
    });
  });
}

export interface ListedContainer {
  id: string;
  pid: number;
  status: string;
  bundle: string;
}

export async function listContainers(options: RuncOptions): Promise<ListedContainer[]> {
  // runc keeps a dir per container under its root: none there, no runc to start (~10 ms) to say so.
  const dirs = await readdir(options.root).catch(() => [] as string[]);
  if (dirs.length === 0) return [];
  const output = await runcCommand(options, ['list', '--format', 'json']);
  const parsed = JSON.parse(output.trim() === '' ? 'null' : output) as ListedContainer[] | null;
  return parsed ?? [];
}

/** Kills and removes a container (one a killed msbuild left). */
export async function removeContainer(options: RuncOptions, id: string): Promise<void> {
  await runcCommand(options, ['kill', id, 'KILL']).catch(() => undefined);
  await runcCommand(options, ['delete', '--force', id]);
}
