// Runs a RUN's container spec on the Engine API: a container from the current layers with the spec's
// argv, env, user, workdir, network and mounts; its output streamed out; committed on success;
// removed in every case.
import type Docker from 'dockerode';
import { MsbuildError } from '../errors.js';
import type { ContainerSpec, NetworkMode, ResourceLimits } from '../worker/container-spec.js';
import { BuildContainer, buildLabels, ContainerStartError, type ContainerRegistry } from './container.js';
import { sandboxHostname, type NetworkSandboxes, type SandboxLease } from './network-sandbox.js';

export interface RunEnvironment {
  docker: Docker;
  registry: ContainerRegistry;
  buildId: string;
  /** Warm network namespaces to join instead of creating one per RUN. */
  sandboxes?: NetworkSandboxes;
  /** The spec's mounts as the daemon takes them (cache volumes leased, host paths bound). */
  mounts: Docker.MountConfig;
  tmpfs: Record<string, string>;
  onOutput(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  signal?: AbortSignal;
}

/** A RUN whose command exited non-zero (worded as BuildKit words it). */
export class CommandFailedError extends MsbuildError {
  override readonly name = 'CommandFailedError';
  override readonly code = 'MSBUILD_COMMAND_FAILED';
  constructor(
    readonly exitCode: number,
    readonly argv: string[],
  ) {
    super(`process "${argv.join(' ')}" did not complete successfully: exit code ${exitCode}`);
  }
}

/** RUN --security=insecure on a daemon that cannot start a privileged container. */
export class InsecureUnavailableError extends MsbuildError {
  override readonly name = 'InsecureUnavailableError';
  override readonly code = 'MSBUILD_INSECURE_UNAVAILABLE';
  constructor(options?: ErrorOptions) {
    super(
      'RUN --security=insecure needs a privileged container, and this Docker daemon cannot start one (runc: unable to apply caps: operation not permitted; the daemon lacks some capability)',
      options,
    );
  }
}

/** The Docker network mode of a spec's network (`default` is the bridge). */
export function dockerNetworkMode(network: NetworkMode): string {
  return network === 'default' ? 'bridge' : network;
}

/** The HostConfig fields of a spec's limits (each one field, as `docker build` passes them). */
export function hostConfigOf(limits: ResourceLimits): Docker.HostConfig {
  return {
    ...(limits.memory ? { Memory: limits.memory } : {}),
    ...(limits.memorySwap ? { MemorySwap: limits.memorySwap } : {}),
    ...(limits.cpuQuota ? { CpuQuota: limits.cpuQuota } : {}),
    ...(limits.cpuPeriod ? { CpuPeriod: limits.cpuPeriod } : {}),
    ...(limits.cpuShares ? { CpuShares: limits.cpuShares } : {}),
    ...(limits.cpusetCpus ? { CpusetCpus: limits.cpusetCpus } : {}),
    ...(limits.cpusetMems ? { CpusetMems: limits.cpusetMems } : {}),
    ...(limits.pidsLimit ? { PidsLimit: limits.pidsLimit } : {}),
    ...(limits.shmSize ? { ShmSize: limits.shmSize } : {}),
    ...(limits.ulimits?.length
      ? { Ulimits: limits.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) }
      : {}),
    ...(limits.cgroupParent ? { CgroupParent: limits.cgroupParent } : {}),
    ...(limits.securityOpt?.length ? { SecurityOpt: limits.securityOpt } : {}),
  };
}

/** The argv, with the spec's script written to its path (under /dev, a tmpfs: never in the layer) first. */
function commandFor(spec: ContainerSpec): { argv: string[]; env: string[] } {
  if (!spec.script) return { argv: spec.argv, env: [] };
  const path = spec.script.path;
  const install = `mkdir -p ${path.slice(0, path.lastIndexOf('/'))} && printf '%s' "$MSBUILD_HEREDOC_SCRIPT" > ${path} && chmod 755 ${path} && unset MSBUILD_HEREDOC_SCRIPT && exec "$@"`;
  return {
    argv: ['/bin/sh', '-c', install, 'sh', ...spec.argv],
    env: [`MSBUILD_HEREDOC_SCRIPT=${spec.script.data}`],
  };
}

/**
 * Runs `spec` in a container created from `fromImage` and commits it. Returns the committed
 * image ID; throws CommandFailedError on a non-zero exit. The container is removed either way.
 */
export async function runContainer(
  environment: RunEnvironment,
  fromImage: string,
  spec: ContainerSpec,
): Promise<string> {
  const mode = dockerNetworkMode(spec.network);
  // A privileged step could change its namespace's settings for the steps after it; extra hosts
  // are written into a namespace's own /etc/hosts, which a joined namespace does not have.
  const lease =
    (mode === 'none' || mode === 'bridge') && spec.security !== 'insecure' && !spec.limits.extraHosts?.length
      ? environment.sandboxes?.acquire(mode)
      : undefined;
  try {
    return await runInContainer(environment, fromImage, spec, { mode, lease });
  } catch (error) {
    if (spec.security === 'insecure' && /unable to apply caps/.test(String(error))) {
      // The daemon itself runs without some capability (inside a container, say): runc cannot grant all.
      throw new InsecureUnavailableError({ cause: error });
    }
    if (!lease || !(error instanceof ContainerStartError)) throw error;
    // The holder is gone (removed by hand, killed): this step makes its own namespace.
    lease.release(true);
    return await runInContainer(environment, fromImage, spec, { mode, lease: undefined });
  } finally {
    lease?.release();
  }
}

async function runInContainer(
  environment: RunEnvironment,
  fromImage: string,
  spec: ContainerSpec,
  network: { mode: string; lease: SandboxLease | undefined },
): Promise<string> {
  const command = commandFor(spec);
  const { mode, lease } = network;
  const limits = spec.limits;
  // A joined namespace brings its host name and /etc/hosts; a new one gets the same ones.
  const ownNamespace = lease === undefined && mode !== 'host';
  const container = await BuildContainer.create(
    environment.docker,
    {
      Image: fromImage,
      Cmd: command.argv,
      Entrypoint: [],
      Env: [...spec.env, ...command.env],
      WorkingDir: spec.workdir,
      User: spec.user,
      Labels: buildLabels(environment.buildId),
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      ...(ownNamespace ? { Hostname: sandboxHostname } : {}),
      HostConfig: {
        NetworkMode: lease?.networkMode ?? mode,
        ...(lease === undefined
          ? { ExtraHosts: [...(ownNamespace ? [`${sandboxHostname}:127.0.0.1`] : []), ...(limits.extraHosts ?? [])] }
          : {}),
        Mounts: environment.mounts,
        Tmpfs: environment.tmpfs,
        Privileged: spec.security === 'insecure',
        ...hostConfigOf(limits),
      },
    },
    environment.registry,
  );
  try {
    const exitCode = await container.run(environment.onOutput, environment.signal);
    if (exitCode !== 0) throw new CommandFailedError(exitCode, spec.argv);
    return await container.commit(environment.signal);
  } finally {
    container.release();
  }
}
