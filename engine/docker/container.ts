// Intermediate containers: created for a RUN (or to read/write files of an image), always removed.
// Every container is registered with its build so that failure, Ctrl-C and exit remove it too.
import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { daemonMessage, statusCodeOf } from './daemon.js';

import { hostname } from 'node:os';

/** Label put on every container msbuild creates, so leftovers can be found (value: the build ID). */
export const buildLabel = 'io.msbuild.build';
/** The process that owns a container (`host:pid`): a container whose owner is gone is a leftover. */
export const ownerLabel = 'io.msbuild.owner';

/** Labels for a container of build `buildId` owned by this process. */
export function buildLabels(buildId: string): Record<string, string> {
  return { [buildLabel]: buildId, [ownerLabel]: `${hostname()}:${process.pid}` };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes containers left by msbuild processes of this host that no longer run (a build killed
 * with a second Ctrl-C or by the OOM killer). Returns how many were removed.
 */
export async function removeOrphanedContainers(docker: Docker): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [ownerLabel] } });
  const here = hostname();
  let removed = 0;
  for (const container of containers) {
    const owner = container.Labels[ownerLabel] ?? '';
    const separator = owner.lastIndexOf(':');
    const pid = Number(owner.slice(separator + 1));
    if (owner.slice(0, separator) !== here || !Number.isInteger(pid) || processAlive(pid)) continue;
    await docker.getContainer(container.Id).remove({ force: true, v: true }).then(() => removed++, () => undefined);
  }
  return removed;
}

/** What the archive stat header says about a path in a container. */
export interface PathStat {
  name: string;
  size: number;
  /** Go os.FileMode bits: permission bits plus type bits (directory 1<<31, symlink 1<<27). */
  mode: number;
  linkTarget: string;
}

const goModeDir = 2 ** 31;
const goModeSymlink = 2 ** 27;

export function isDirectoryStat(stat: PathStat): boolean {
  return (stat.mode & goModeDir) !== 0 || stat.mode >= goModeDir;
}

export function isSymlinkStat(stat: PathStat): boolean {
  return Math.floor(stat.mode / goModeSymlink) % 2 === 1;
}

/** Owns the set of live containers of one build; removes whatever is left. */
export class ContainerRegistry {
  private readonly live = new Map<string, BuildContainer>();
  private readonly removing = new Set<Promise<void>>();

  track(container: BuildContainer): void {
    this.live.set(container.id, container);
  }

  forget(container: BuildContainer): void {
    this.live.delete(container.id);
  }

  get size(): number {
    return this.live.size;
  }

  /** Tracks a removal running in the background, so the build can wait for it at the end. */
  removal(promise: Promise<void>): void {
    const tracked = promise.catch(() => undefined).finally(() => this.removing.delete(tracked));
    this.removing.add(tracked);
  }

  /** Kills and removes every container still registered. Safe to call more than once. */
  async removeAll(): Promise<void> {
    await Promise.allSettled([...this.removing]);
    await Promise.allSettled([...this.live.values()].map((container) => container.remove()));
  }
}

/** The daemon refused to start a container (its command never ran). */
export class ContainerStartError extends Error {
  override readonly name = 'ContainerStartError';
}

export class BuildContainer {
  private removed = false;

  private constructor(
    private readonly docker: Docker,
    private readonly container: Docker.Container,
    private readonly registry: ContainerRegistry,
  ) {}

  get id(): string {
    return this.container.id;
  }

  static async create(docker: Docker, options: Docker.ContainerCreateOptions, registry: ContainerRegistry): Promise<BuildContainer> {
    const container = await docker.createContainer(options);
    const owned = new BuildContainer(docker, container, registry);
    registry.track(owned);
    return owned;
  }

  /** Stat of `path` (symlinks in parent directories followed), or undefined when it does not exist. */
  async stat(path: string): Promise<PathStat | undefined> {
    try {
      const response = (await this.container.infoArchive({ path })) as Readable & { headers: Record<string, string> };
      response.resume();
      const header = response.headers['x-docker-container-path-stat'];
      return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
    } catch (error) {
      // 404: no such path; 500: a parent is not a directory. Both mean "not there".
      if (statusCodeOf(error) === 404 || statusCodeOf(error) === 500) return undefined;
      throw error;
    }
  }

  /** A tar of `path` whose top entry is the path's base name (a symlinked path is resolved). */
  async getArchive(path: string): Promise<Readable> {
    return (await this.container.getArchive({ path })) as unknown as Readable;
  }

  /** Extracts `tar` into the container's filesystem at `path` (missing parents of entries are created 0755 root). */
  async putArchive(tar: Readable, path: string): Promise<void> {
    try {
      // The daemon answers once the whole tar is extracted (dockerode resolves with the empty body).
      await this.container.putArchive(tar, { path });
    } catch (error) {
      throw new Error(`cannot write files into the image: ${daemonMessage(error)}`);
    }
  }

  /**
   * Starts the container, streams its output to `onOutput` and waits for it to exit.
   * Returns the exit code. Aborting kills the container.
   */
  async run(onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => void, signal?: AbortSignal): Promise<number> {
    const attached = (await this.container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (chunk: Buffer) => onOutput('stdout', chunk));
    stderr.on('data', (chunk: Buffer) => onOutput('stderr', chunk));
    this.docker.modem.demuxStream(attached, stdout, stderr);
    const drained = new Promise<void>((resolve) => {
      attached.on('end', resolve);
      attached.on('close', resolve);
      attached.on('error', () => resolve());
    });
    const onAbort = () => {
      this.container.kill().catch(() => undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      await this.container.start().catch((error: unknown) => {
        throw new ContainerStartError(daemonMessage(error));
      });
      // An abort while the start was on its way found nothing running to kill: kill it now.
      if (signal?.aborted) onAbort();
      // If the daemon dies, `wait` may never answer; the output stream ends either way, and then
      // the daemon is asked directly (which fails at once when it is gone).
      const waited = this.container.wait() as Promise<{ StatusCode: number }>;
      const ended = drained.then(() => this.exitCodeAfterOutputEnded());
      const statusCode = await Promise.race([waited.then((r) => r.StatusCode), ended]);
      // Output written just before exit can trail the exit status on the attach stream.
      let trailTimer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise((resolve) => (trailTimer = setTimeout(resolve, 2000)))]);
      // A pending timer would keep the process alive for up to 2 s after the build.
      clearTimeout(trailTimer);
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      return statusCode;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      attached.destroy();
    }
  }

  /** Starts the container without following it (a long-lived helper, such as a network holder). */
  async start(): Promise<void> {
    await this.container.start();
  }

  /** The exit code once the process is gone (polling briefly: the stream can end just before the exit is recorded). */
  private async exitCodeAfterOutputEnded(): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const info = await this.container.inspect();
      if (!info.State.Running) return info.State.ExitCode;
      // A detached stream with a live process (the daemon restarted the stream): keep waiting on `wait`.
      if (attempt > 50) return new Promise<number>(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Commits the container's changes as an image and returns its ID. */
  async commit(): Promise<string> {
    const result = (await this.container.commit({ pause: false })) as { Id: string };
    return result.Id;
  }

  /**
   * Removes the container in the background: the next step need not wait for it. The registry still
   * owns it until it is gone, so the build's end (or Ctrl-C) waits for or retries the removal.
   */
  release(): void {
    this.registry.removal(this.remove());
  }

  /** Removes the container (killing it if it runs); idempotent. */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    try {
      await this.container.remove({ force: true, v: true });
    } catch (error) {
      if (statusCodeOf(error) !== 404 && statusCodeOf(error) !== 409) {
        this.removed = false;
        throw error;
      }
    } finally {
      if (this.removed) this.registry.forget(this);
    }
  }
}
