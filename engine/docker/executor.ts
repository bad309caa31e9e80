// Runs a RUN step: a container from the current layers with the step's argv, env, user, workdir and
// mounts; its output streamed out; committed on success; removed in every case.
import type Docker from 'dockerode';
import type { RunAction } from '../plan/dispatch.js';
import { BuildContainer, buildLabels, ContainerStartError, type ContainerRegistry } from './container.js';
import { sandboxHostname, type NetworkSandboxes, type SandboxLease } from './network-sandbox.js';

export interface ResourceLimits {
  /** Bytes of memory the container may use. */
  memory?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuShares?: number;
  /** Maximum number of processes. */
  pidsLimit?: number;
}

export interface RunEnvironment {
  docker: Docker;
  registry: ContainerRegistry;
  buildId: string;
  /** The build's `--network` (a step's `RUN --network` wins over it). */
  network: 'default' | 'none' | 'host';
  /** Warm network namespaces to join instead of creating one per RUN. */
  sandboxes?: NetworkSandboxes;
  limits: ResourceLimits;
  /** Extra mounts for the step's `--mount`s (cache volumes, secrets, binds), prepared by the caller. */
  mounts: Docker.MountConfig;
  tmpfs: Record<string, string>;
  /** Extra environment (e.g. a heredoc script to install), not part of the image. */
  extraEnv?: string[];
  onOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  signal?: AbortSignal;
}

/** A RUN whose command exited non-zero. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
  constructor(
    readonly exitCode: number,
    readonly argv: string[],
  ) {
    super(`exit code ${exitCode}`);
  }
}

/** The Docker network mode of a RUN: its own `--network`, else the build's (`default` is the bridge). */
export function runNetworkMode(step: RunAction['network'], build: RunEnvironment['network']): string {
  const mode = step === 'default' ? build : step;
  return mode === 'default' ? 'bridge' : mode;
}

/** The argv, with a heredoc shebang script written to /dev/pipes (a tmpfs, so never in the layer) first. */
function commandFor(action: RunAction): { argv: string[]; env: string[] } {
  if (!action.script) return { argv: action.argv, env: [] };
  const path = `/dev/pipes/${action.script.name}`;
  const install = `mkdir -p /dev/pipes && printf '%s' "$MSBUILD_HEREDOC_SCRIPT" > ${path} && chmod 755 ${path} && unset MSBUILD_HEREDOC_SCRIPT && exec "$@"`;
  return { argv: ['/bin/sh', '-c', install, 'sh', ...action.argv], env: [`MSBUILD_HEREDOC_SCRIPT=${action.script.data}`] };
}

/**
 * Runs `action` in a container created from `fromImage` and commits it. Returns the committed
 * image ID; throws CommandFailedError on a non-zero exit. The container is removed either way.
 */
export async function runStep(environment: RunEnvironment, fromImage: string, action: RunAction): Promise<string> {
  const mode = runNetworkMode(action.network, environment.network);
  // A privileged step could change its namespace's settings for the steps after it.
  const lease = (mode === 'none' || mode === 'bridge') && action.security !== 'insecure' ? environment.sandboxes?.acquire(mode) : undefined;
  try {
    return await runInContainer(environment, fromImage, action, mode, lease);
  } catch (error) {
    if (!lease || !(error instanceof ContainerStartError)) throw error;
    // The holder is gone (removed by hand, killed): this step makes its own namespace.
    lease.release(true);
    return await runInContainer(environment, fromImage, action, mode, undefined);
  } finally {
    lease?.release();
  }
}

async function runInContainer(environment: RunEnvironment, fromImage: string, action: RunAction, mode: string, lease: SandboxLease | undefined): Promise<string> {
  const command = commandFor(action);
  // A joined namespace brings its host name and /etc/hosts; a new one gets the same ones.
  const ownNamespace = lease === undefined && mode !== 'host';
  const container = await BuildContainer.create(
    environment.docker,
    {
      Image: fromImage,
      Cmd: command.argv,
      Entrypoint: [],
      Env: [...action.env, ...command.env, ...(environment.extraEnv ?? [])],
      WorkingDir: action.workdir,
      User: action.user,
      Labels: buildLabels(environment.buildId),
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      ...(ownNamespace ? { Hostname: sandboxHostname } : {}),
      HostConfig: {
        NetworkMode: lease?.networkMode ?? mode,
        ...(ownNamespace ? { ExtraHosts: [`${sandboxHostname}:127.0.0.1`] } : {}),
        Mounts: environment.mounts,
        Tmpfs: environment.tmpfs,
        Privileged: action.security === 'insecure',
        ...(environment.limits.memory ? { Memory: environment.limits.memory } : {}),
        ...(environment.limits.cpuQuota ? { CpuQuota: environment.limits.cpuQuota } : {}),
        ...(environment.limits.cpuPeriod ? { CpuPeriod: environment.limits.cpuPeriod } : {}),
        ...(environment.limits.cpuShares ? { CpuShares: environment.limits.cpuShares } : {}),
        ...(environment.limits.pidsLimit ? { PidsLimit: environment.limits.pidsLimit } : {}),
      },
    },
    environment.registry,
  );
  try {
    const exitCode = await container.run(environment.onOutput, environment.signal);
    if (exitCode !== 0) throw new CommandFailedError(exitCode, action.argv);
    return await container.commit(environment.signal);
  } finally {
    container.release();
  }
}
