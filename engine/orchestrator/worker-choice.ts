// Which worker runs a build's steps: the Docker worker (the Engine API), or the OCI worker (runc on
// msbuild's own snapshots) when the options ask for it and the machine and the request allow it.
import { join } from 'node:path';
import type { DockerWorker } from '../docker/worker.js';
import { ociStateDir, selectWorker } from '../oci/select.js';
import { OciWorker } from '../oci/worker.js';
import type { ResolvedOptions } from '../options.js';
import type { Worker } from '../worker/worker.js';

export async function chooseWorker(context: {
  options: ResolvedOptions;
  buildId: string;
  /** The Engine API worker: the build's worker, or the daemon side of the OCI worker. */
  daemon: DockerWorker;
  warn: (message: string) => void;
}): Promise<Worker> {
  const { options, daemon } = context;
  if (options.worker === 'docker') return daemon;
  const selected = await selectWorker({
    choice: options.worker,
    docker: daemon.images.docker,
    cacheDir: options.cacheDir,
    request: { network: options.network, limits: options.limits },
  });
  if (selected.worker !== 'oci') {
    if (selected.sayReason) context.warn(`using the Docker worker: ${selected.reason}`);
    return daemon;
  }
  return new OciWorker({
    daemon,
    buildId: context.buildId,
    stateDir: ociStateDir(options.cacheDir),
    runc: selected.runc,
    daemonVersion: selected.daemonVersion,
    lockDir: join(options.cacheDir, 'cache-mount-locks'),
    onWarning: context.warn,
  });
}
