// The connection to the Docker daemon: DOCKER_HOST as dockerode reads it, a bounded ping,
// and the error a user sees when no daemon answers.
import './lazy-dependencies.js';
import Docker from 'dockerode';

/** No daemon, or a daemon that refuses or times out. */
export class DaemonError extends Error {
  override readonly name = 'DaemonError';
}

/** Where msbuild looks for the daemon, as a user would write it. */
export function dockerHost(): string {
  return process.env.DOCKER_HOST && process.env.DOCKER_HOST !== '' ? process.env.DOCKER_HOST : 'unix:///var/run/docker.sock';
}

export function connectDocker(): Docker {
  try {
    return new Docker();
  } catch (error) {
    throw new DaemonError(`cannot use DOCKER_HOST=${dockerHost()}: ${(error as Error).message}`);
  }
}

/** Rejects with `onTimeout()` when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface DaemonInfo {
  version: string;
  apiVersion: string;
  os: string;
  architecture: string;
}

/** Checks that a daemon answers within `ms`; the error names DOCKER_HOST and how to start one. */
export async function checkDaemon(docker: Docker, ms = 10_000): Promise<DaemonInfo> {
  const failure = (why: string) =>
    new DaemonError(
      `no Docker daemon answers at DOCKER_HOST=${dockerHost()}: ${why}. ` +
        'Start one (e.g. `bash scripts/ensure-docker.sh`) or point DOCKER_HOST at a running daemon.',
    );
  try {
    const version = await withTimeout(docker.version(), ms, () => failure(`no answer within ${ms / 1000}s`));
    return {
      version: version.Version,
      apiVersion: version.ApiVersion,
      os: version.Os,
      architecture: version.Arch,
    };
  } catch (error) {
    if (error instanceof DaemonError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'the socket does not exist' : code === 'ECONNREFUSED' ? 'connection refused' : code === 'EACCES' ? 'permission denied on the socket' : (error as Error).message;
    throw failure(why);
  }
}

/** Status code of a dockerode error (404 for a missing image or container), if it has one. */
export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The daemon's message in a dockerode error, without dockerode's `(HTTP code 500) server error -` prefix. */
export function daemonMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}
