// What tells one daemon from another, for the cache's per-daemon scopes (`/info`'s ID and data root),
// and the facts of `/info` the OCI worker's detection reads (storage driver, security options,
// version). `/info` costs the daemon 6–12 ms, a third of a fully cached build in a warm process, so the
// answer is remembered per unix socket for as long as the socket stays the same file: dockerd makes
// its socket anew whenever it starts, so another daemon (or the same one restarted with other
// settings) behind the same path is another file, and is asked again.
import type Docker from 'dockerode';
import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-file.js';

/** The part of `/info` that is remembered: fixed while a daemon runs. */
export interface DaemonFacts {
  ID?: string;
  DockerRootDir?: string;
  Driver?: string;
  SecurityOptions?: string[];
  ServerVersion?: string;
}

async function askDaemonFacts(docker: Docker): Promise<DaemonFacts> {
  const info = (await docker.info()) as DaemonFacts;
  const { ID, DockerRootDir, Driver, SecurityOptions, ServerVersion } = info;
  return { ID, DockerRootDir, Driver, SecurityOptions, ServerVersion };
}

/**
 * Engine 20.10's ID is the kid of /etc/docker/key.json, so two daemons on one host share it; their data
 * roots differ. `ID@root`.
 */
function idOf(facts: DaemonFacts): string {
  return `${facts.ID ?? ''}@${facts.DockerRootDir ?? ''}`;
}

/** The socket the client talks to, and which file it is now (`inode:ctime`); undefined over TCP or SSH. */
async function socketFile(docker: Docker): Promise<{ path: string; file: string } | undefined> {
  // docker-modem keeps a path, or (DOCKER_HOST unset) a function that finds the default socket.
  const configured = (docker.modem as { socketPath?: unknown }).socketPath;
  const path: unknown = typeof configured === 'function' ? await (configured as () => Promise<unknown>)() : configured;
  if (typeof path !== 'string' || path === '') return undefined;
  const info = await stat(path).catch(() => undefined);
  return info?.isSocket() ? { path, file: `${info.ino}:${info.ctimeMs}` } : undefined;
}

/** Socket path → the file it was when asked, and the answer. */
/** The memo's name in the cache directory. */
export const daemonSocketsFile = 'daemon-sockets.json';

type Remembered = Record<string, { file: string; facts?: DaemonFacts }>;

/** The daemon's facts: from `memoFile` when its socket is the file it was, else asked (and noted there). */
export async function daemonFacts(docker: Docker, memoFile?: string): Promise<DaemonFacts> {
  const socket = memoFile === undefined ? undefined : await socketFile(docker);
  if (memoFile === undefined || socket === undefined) return askDaemonFacts(docker);
  const remembered = await readFile(memoFile, 'utf8')
    .then((text) => JSON.parse(text) as Remembered)
    .catch(() => ({}) as Remembered);
  const known = remembered[socket.path];
  if (known?.file === socket.file && typeof known.facts === 'object' && known.facts !== null) return known.facts;
  const facts = await askDaemonFacts(docker);
  // A memo that cannot be written costs the next build one `/info`, nothing else.
  await writeFileAtomic(memoFile, JSON.stringify({ ...remembered, [socket.path]: { file: socket.file, facts } })).catch(
    () => undefined,
  );
  return facts;
}

/** The daemon's identity (`ID@root`), through the same memo. */
export async function daemonId(docker: Docker, memoFile?: string): Promise<string> {
  return idOf(await daemonFacts(docker, memoFile));
}
