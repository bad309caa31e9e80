// Runs a RUN step: a container from the current layers with the step's argv, env, user, workdir and
// mounts; its output streamed out; committed on success; removed in every case.
import type Docker from 'dockerode';
import type { RunAction } from '../plan/dispatch.js';
import { BuildContainer, buildLabels, type ContainerRegistry } from './container.js';

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

function networkMode(step: RunAction['network'], build: RunEnvironment['network']): string {
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
  const command = commandFor(action);
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
      HostConfig: {
        NetworkMode: networkMode(action.network, environment.network),
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
    return await container.commit();
  } finally {
    container.release();
  }
}
