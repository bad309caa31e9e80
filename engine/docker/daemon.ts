// The connection to the Docker daemon: DOCKER_HOST as dockerode reads it, a bounded ping, the error
// a user sees when no daemon answers, and the one for a daemon lost in the middle of a build.
import Docker from 'dockerode';
import { MsbuildError } from '../errors.js';
import { withTimeout } from '../util/timeout.js';
import './lazy-dependencies.js';

/** The Engine API client msbuild talks to a daemon with (dockerode). */
export type DockerClient = Docker;

/** No daemon, or a daemon that refuses or times out. */
export class DaemonError extends MsbuildError {
  override readonly name = 'DaemonError';
  override readonly code = 'MSBUILD_DAEMON';
}

/** Where msbuild looks for the daemon, as a user would write it. */
export function dockerHost(): string {
  return process.env.DOCKER_HOST && process.env.DOCKER_HOST !== ''
    ? process.env.DOCKER_HOST
    : 'unix:///var/run/docker.sock';
}

export function connectDocker(): Docker {
  try {
    return new Docker();
  } catch (error) {
    throw new DaemonError(`cannot use DOCKER_HOST=${dockerHost()}: ${(error as Error).message}`);
  }
}

/**
 * Checks that a daemon answers within `ms`; the error names DOCKER_HOST and how to start one. A ping:
 * `/version` takes the daemon ~10 ms (it asks containerd and runc theirs), see daemonArchitecture.
 */
export async function checkDaemon(docker: Docker, ms = 10_000): Promise<void> {
  const failure = (why: string) =>
    new DaemonError(
      `no Docker daemon answers at DOCKER_HOST=${dockerHost()}: ${why}. ` +
        'Start dockerd (or Docker Desktop), or point DOCKER_HOST or DOCKER_CONTEXT at a running daemon.',
    );
  try {
    await withTimeout(docker.ping(), ms, () => failure(`no answer within ${ms / 1000}s`));
  } catch (error) {
    if (error instanceof DaemonError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'the socket does not exist'
        : code === 'ECONNREFUSED'
          ? 'connection refused'
          : code === 'EACCES'
            ? 'permission denied on the socket'
            : (error as Error).message;
    throw failure(why);
  }
}

/** The daemon's CPU architecture (`amd64`, `arm64`, ...), from `/version`. */
export async function daemonArchitecture(docker: Docker): Promise<string> {
  return (await docker.version()).Arch;
}

/** Answers `/_ping` within `ms`, or rejects (the request is dropped then). */
export async function pingDaemon(docker: Docker, ms: number): Promise<void> {
  // dockerode passes the signal on to the request; its types do not declare the option.
  const ping = docker.ping.bind(docker) as unknown as (options: { abortSignal: AbortSignal }) => Promise<unknown>;
  await ping({ abortSignal: AbortSignal.timeout(ms) });
}

/** Socket errors that mean the connection to the daemon failed or broke, with what they mean. */
const connectionFailures: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed while sending',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
};

/**
 * Why `error` (or an error it wraps, as `cause`) means the daemon went away rather than answered:
 * undefined for an answer from the daemon (a missing image, a refused request).
 */
export function connectionFailure(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    const { code, syscall } = current as NodeJS.ErrnoException;
    // Node gives a request that lost its connection before the answer `socket hang up` (ECONNRESET).
    if (/socket hang up/i.test(current.message)) return 'the connection was closed';
    if (code === 'ENOENT' && syscall === 'connect') return 'the socket does not exist any more';
    if (code !== undefined && connectionFailures[code] !== undefined) return connectionFailures[code];
    current = current.cause;
  }
  return undefined;
}

/** The message for a daemon lost mid-build, naming DOCKER_HOST as checkDaemon does. */
export function connectionLostMessage(why: string): string {
  return (
    `lost the connection to the Docker daemon at DOCKER_HOST=${dockerHost()}: ${why}. ` +
    'Is it still running? Restart it, or point DOCKER_HOST or DOCKER_CONTEXT at a running daemon.'
  );
}

/** A daemon that stopped answering (its connections stay open, nothing comes back). */
export function stoppedAnsweringMessage(seconds: number): string {
  return (
    `the Docker daemon at DOCKER_HOST=${dockerHost()} stopped answering (no answer to a ping for ${seconds}s). ` +
    'Check that it runs and is not overloaded, or point DOCKER_HOST at a running daemon.'
  );
}

/** Status code of a dockerode error (404 for a missing image or container), if it has one. */
export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The daemon's message in a dockerode error, without dockerode's `(HTTP code 500) server error -` prefix. */
export { describeError as daemonMessage } from '../errors.js';
