// Intermediate containers: created for a RUN (or to read/write files of an image), always removed.
// Every container is registered with its build so that failure, Ctrl-C and exit remove it too. Each
// daemon call a step waits on gives up when the step is cancelled, and removals are time-limited:
// a daemon that does not answer must not keep msbuild from exiting (the next build removes leftovers).
import type Docker from 'dockerode';
import { PassThrough, type Readable } from 'node:stream';
import { MsbuildError } from '../errors.js';
import { abortReason, throwIfAborted, untilAborted } from '../util/abort.js';
import { ownerOfThisProcess, processAlive } from '../util/owner.js';
import { withTimeout } from '../util/timeout.js';
import { daemonMessage, statusCodeOf } from './daemon.js';

import { hostname } from 'node:os';

/** Label put on every container msbuild creates, so leftovers can be found (value: the build ID). */
export const buildLabel = 'io.msbuild.build';
/** The process that owns a container (`host:pid`): a container whose owner is gone is a leftover. */
export const ownerLabel = 'io.msbuild.owner';

/** Labels for a container of build `buildId` owned by this process. */
export function buildLabels(buildId: string): Record<string, string> {
  return { [buildLabel]: buildId, [ownerLabel]: ownerOfThisProcess() };
}

/** How long one removal may take before msbuild stops waiting for it (the daemon still finishes it). */
const removalTimeoutMs = 10_000;

/**
 * Removes containers left by msbuild processes of this host that no longer run (a build killed
 * with a second Ctrl-C or by the OOM killer). Returns how many were removed.
 */
export async function removeOrphanedContainers(docker: Docker): Promise<number> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [ownerLabel] },
    abortSignal: AbortSignal.timeout(removalTimeoutMs),
  });
  const here = hostname();
  let removed = 0;
  for (const container of containers) {
    const owner = container.Labels[ownerLabel] ?? '';
    const separator = owner.lastIndexOf(':');
    const pid = Number(owner.slice(separator + 1));
    if (owner.slice(0, separator) !== here || !Number.isInteger(pid) || processAlive(pid)) continue;
    await docker
      .getContainer(container.Id)
      .remove({ force: true, v: true, abortSignal: AbortSignal.timeout(removalTimeoutMs) })
      .then(
        () => removed++,
        () => undefined,
      );
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
  private closed = false;

  /** Registers a new container; one created after the build's cleanup began is removed at once. */
  track(container: BuildContainer): void {
    this.live.set(container.id, container);
    if (this.closed) container.release();
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

  /**
   * Kills and removes every container still registered, waiting until `deadline` (a daemon that
   * does not answer cannot hold the build). Returns how many may be left. Safe to call more than once.
   */
  async removeAll(deadline: AbortSignal = AbortSignal.timeout(removalTimeoutMs)): Promise<number> {
    this.closed = true;
    await untilAborted(Promise.allSettled([...this.removing]), deadline).catch(() => undefined);
    await Promise.allSettled([...this.live.values()].map((container) => container.remove(deadline)));
    return this.live.size;
  }
}

/** The daemon refused to start a container (its command never ran). */
export class ContainerStartError extends MsbuildError {
  override readonly name = 'ContainerStartError';
  override readonly code = 'MSBUILD_CONTAINER_START';
}

/**
 * How long a container start may take. A daemon that answers pings but starts nothing (wedged by the
 * deadlock below) would otherwise hold a build forever.
 */
const startTimeoutMs = 120_000;

const startTimedOut = () =>
  new ContainerStartError(
    `the Docker daemon did not start the container within ${startTimeoutMs / 1000}s; it may be wedged (Engine 20.10.24's sandbox deadlock, moby/moby#46661): restart dockerd`,
  );

/**
 * Removals of started containers that have a network sandbox of their own, one at a time in this
 * process: Debian's Engine 20.10.24 can deadlock when two sandboxes go at once (moby/moby#46661,
 * fixed in 20.10.27), and then no container starts again until the daemon restarts.
 */
let sandboxRemovals: Promise<unknown> = Promise.resolve();

function oneSandboxRemovalAtATime<T>(removal: () => Promise<T>): Promise<T> {
  const next = sandboxRemovals.then(removal);
  sandboxRemovals = next.catch(() => undefined);
  return next;
}

export class BuildContainer {
  private removed = false;
  /** Started at least once: only then does it hold a network sandbox. */
  private started = false;

  private constructor(
    private readonly docker: Docker,
    private readonly container: Docker.Container,
    private readonly registry: ContainerRegistry,
    /** Its network is its own (not `container:<id>`, which shares another container's sandbox). */
    private readonly ownNetwork: boolean,
  ) {}

  get id(): string {
    return this.container.id;
  }

  static async create(
    docker: Docker,
    options: Docker.ContainerCreateOptions,
    registry: ContainerRegistry,
  ): Promise<BuildContainer> {
    const container = await docker.createContainer(options);
    const ownNetwork =
      !(options.HostConfig?.NetworkMode ?? '').startsWith('container:') && options.NetworkDisabled !== true;
    const owned = new BuildContainer(docker, container, registry, ownNetwork);
    registry.track(owned);
    return owned;
  }

  /** Stat of `path` (symlinks in parent directories followed), or undefined when it does not exist. */
  async stat(path: string, signal?: AbortSignal): Promise<PathStat | undefined> {
    try {
      const response = (await this.container.infoArchive({ path, abortSignal: signal })) as Readable & {
        headers: Record<string, string>;
      };
      response.resume();
      const header = response.headers['x-docker-container-path-stat'];
      return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
    } catch (error) {
      throwIfAborted(signal);
      // 404: no such path; 500: a parent is not a directory. Both mean "not there".
      if (statusCodeOf(error) === 404 || statusCodeOf(error) === 500) return undefined;
      throw error;
    }
  }

  /**
   * A tar of `path` whose top entry is the path's base name (a symlinked path is resolved). With a
   * signal, aborting destroys the request, and so the stream.
   */
  async getArchive(path: string, signal?: AbortSignal): Promise<Readable> {
    try {
      return (await this.container.getArchive({ path, abortSignal: signal })) as unknown as Readable;
    } catch (error) {
      throwIfAborted(signal);
      throw error;
    }
  }

  /**
   * Extracts `tar` into the container's filesystem at `path` (missing parents of entries are created
   * 0755 root). Aborting drops the upload (the daemon stops extracting) and destroys `tar`.
   */
  async putArchive(tar: Readable, path: string, signal?: AbortSignal): Promise<void> {
    try {
      throwIfAborted(signal);
      // The daemon answers once the whole tar is extracted (dockerode resolves with the empty body).
      await untilAborted(this.container.putArchive(tar, { path, abortSignal: signal }), signal);
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw new Error(`cannot write files into the image: ${daemonMessage(error)}`, { cause: error });
    } finally {
      // A request that failed (or a daemon that went away) leaves the file open otherwise.
      tar.destroy();
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
      throwIfAborted(signal);
      this.started = true;
      await withTimeout(untilAborted(this.container.start(), signal), startTimeoutMs, startTimedOut).catch(
        (error: unknown) => {
          throwIfAborted(signal);
          if (error instanceof ContainerStartError) throw error;
          throw new ContainerStartError(daemonMessage(error), { cause: error });
        },
      );
      // If the daemon dies, `wait` may never answer; the output stream ends either way, and then
      // the daemon is asked directly (which fails at once when it is gone). A cancelled step stops
      // waiting at once: the kill is on its way, and the build's cleanup removes the container.
      const waited = this.container.wait() as Promise<{ StatusCode: number }>;
      const ended = drained.then(() => this.exitCodeAfterOutputEnded());
      const statusCode = await untilAborted(Promise.race([waited.then((r) => r.StatusCode), ended]), signal);
      // Output written just before exit can trail the exit status on the attach stream.
      let trailTimer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise((resolve) => (trailTimer = setTimeout(resolve, 2000)))]);
      // A pending timer would keep the process alive for up to 2 s after the build.
      clearTimeout(trailTimer);
      throwIfAborted(signal);
      return statusCode;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      attached.destroy();
    }
  }

  /** Starts the container without following it (a long-lived helper, such as a network holder). */
  async start(): Promise<void> {
    this.started = true;
    await withTimeout(this.container.start(), startTimeoutMs, startTimedOut);
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

  /**
   * Commits the container's changes as an image and returns its ID. Aborting stops waiting (the
   * daemon may still finish the commit: an image no cache entry points to, which prune removes).
   */
  async commit(signal?: AbortSignal): Promise<string> {
    throwIfAborted(signal);
    try {
      const result = (await untilAborted(this.container.commit({ pause: false, abortSignal: signal }), signal)) as {
        Id: string;
      };
      return result.Id;
    } catch (error) {
      throwIfAborted(signal);
      throw error;
    }
  }

  /**
   * Removes the container in the background: the next step need not wait for it. The registry still
   * owns it until it is gone, so the build's end (or Ctrl-C) waits for or retries the removal.
   */
  release(): void {
    this.registry.removal(this.remove());
  }

  /** Removes the container (killing it if it runs); idempotent. Gives up when `deadline` aborts. */
  async remove(deadline: AbortSignal = AbortSignal.timeout(removalTimeoutMs)): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    try {
      const removal = () => this.container.remove({ force: true, v: true, abortSignal: deadline });
      await untilAborted(this.started && this.ownNetwork ? oneSandboxRemovalAtATime(removal) : removal(), deadline);
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
