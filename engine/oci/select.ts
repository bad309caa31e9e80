// Which worker a build gets: `docker` as asked, `oci` as asked (an error naming what is missing
// when it cannot run), or `auto`: the OCI worker wherever every precondition holds, else the Docker
// worker with the reason, said once (again only when the reason changes). A runc binary's check
// is kept in the state dir by its path, size and mtime, a passed overlay probe by the state dir's
// device and the kernel, and the daemon's facts with its identity (one `/info` per daemon start).
import { mkdir, readFile, stat } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { daemonFacts, daemonSocketsFile } from '../docker/daemon-identity.js';
import { checkDaemon, DaemonError, type DockerClient } from '../docker/daemon.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { NetworkMode, ResourceLimits } from '../worker/container-spec.js';
import type { WorkerChoice } from '../worker/worker.js';
import { daemonProblem, findRunc, hostProblem, probeOverlay, rootDirProblem, runcProblem } from './detect.js';
import { OciError } from './errors.js';
import { systemHelper } from './helper.js';
import { normalCgroupParent } from './recovery.js';
import { parseSecurityOpts } from './security-opts.js';

export type WorkerSelection =
  { worker: 'oci'; runc: string; daemonVersion: string } | { worker: 'docker'; reason?: string; sayReason: boolean };

/** The OCI worker's state dir in a cache dir. */
export function ociStateDir(cacheDir: string): string {
  return join(cacheDir, 'oci');
}

async function checkedRunc(stateDir: string): Promise<{ runc?: string; problem?: string }> {
  const runc = await findRunc();
  if (!runc) return { problem: 'runc is not installed (scripts/ensure-docker.sh installs it)' };
  const info = await stat(runc);
  const identity = `${runc}:${info.size}:${info.mtimeMs}`;
  const cache = join(stateDir, 'runc-check.json');
  const cached = await readFile(cache, 'utf8')
    .then((text) => JSON.parse(text) as { identity: string; problem: string | null })
    .catch(() => undefined);
  if (cached?.identity === identity) return cached.problem === null ? { runc } : { problem: cached.problem };
  const problem = await runcProblem(runc);
  await writeFileAtomic(cache, JSON.stringify({ identity, problem: problem ?? null })).catch(() => undefined);
  return problem === undefined ? { runc } : { problem };
}

/**
 * The overlay probe (a mount, a write, an unmount: two helper runs, ~7 ms) once per state dir's
 * device and kernel: neither changes what overlayfs can do there. A failed probe is not remembered.
 */
async function checkedOverlay(stateDir: string): Promise<string | undefined> {
  const info = await stat(stateDir);
  const identity = `${info.dev}:${info.ino}:${release()}`;
  const memo = join(stateDir, 'overlay-check.json');
  const known = await readFile(memo, 'utf8').catch(() => '');
  if (known === identity) return undefined;
  const problem = await probeOverlay(systemHelper(), stateDir);
  if (problem === undefined) await writeFileAtomic(memo, identity).catch(() => undefined);
  return problem;
}

/** Why the OCI worker cannot run here, or how it runs. */
async function detect(
  docker: DockerClient,
  stateDir: string,
  /** The daemon facts memo of the cache dir (see docker/daemon-identity.ts). */
  memoFile: string,
): Promise<{ runc: string; daemonVersion: string } | string> {
  const host = hostProblem();
  if (host) return host;
  // No daemon at all is the daemon's error, worded as everywhere else, not a reason to fall back.
  const info = await daemonFacts(docker, memoFile).catch(async (error: unknown) => {
    await checkDaemon(docker, 2000);
    throw error;
  });
  const problem = daemonProblem(info) ?? (await rootDirProblem(info.DockerRootDir));
  if (problem) return problem;
  await mkdir(join(stateDir, 'run'), { recursive: true });
  const runc = await checkedRunc(stateDir);
  if (!runc.runc) return runc.problem ?? 'runc cannot be used';
  const overlay = await checkedOverlay(stateDir);
  if (overlay) return overlay;
  return { runc: runc.runc, daemonVersion: info.ServerVersion ?? 'unknown' };
}

/** What in a build's request only the Docker worker does, if anything. */
export function ociUnsupported(request: { network: NetworkMode; limits: ResourceLimits }): string | undefined {
  const security = parseSecurityOpts(request.limits.securityOpt ?? []);
  if ('unsupported' in security) return security.unsupported;
  try {
    if (request.limits.cgroupParent !== undefined) normalCgroupParent(request.limits.cgroupParent);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

export async function selectWorker(options: {
  choice: WorkerChoice;
  docker: DockerClient;
  cacheDir: string;
  request: { network: NetworkMode; limits: ResourceLimits };
}): Promise<WorkerSelection> {
  if (options.choice === 'docker') return { worker: 'docker', sayReason: false };
  const stateDir = ociStateDir(options.cacheDir);
  const unsupported = ociUnsupported(options.request);
  const found =
    unsupported ??
    (await detect(options.docker, stateDir, join(options.cacheDir, daemonSocketsFile)).catch((error: Error) => {
      if (error instanceof DaemonError) throw error;
      return `detection failed: ${error.message}`;
    }));
  if (typeof found !== 'string') return { worker: 'oci', ...found };
  if (options.choice === 'oci') {
    // No daemon at all is said as the daemon's error (the reason OCI cannot run is secondary).
    await checkDaemon(options.docker, 2000);
    throw new OciError('OCI_UNAVAILABLE', `the OCI worker cannot run ${unsupported ? 'this build' : 'here'}: ${found}`);
  }
  // Said once: again only when the reason changes.
  const said = join(options.cacheDir, 'worker-fallback-reason');
  const before = await readFile(said, 'utf8').catch(() => '');
  if (before !== found) await writeFileAtomic(said, found).catch(() => undefined);
  return { worker: 'docker', reason: found, sayReason: before !== found };
}
