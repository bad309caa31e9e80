// What a RUN asks of an executor, as a process to run (BuildKit's executor.Meta and Mount): argv,
// environment, user, working directory, network, mounts, security and limits. Nothing of
// Dockerfiles: the RUN op turns an instruction into this, and any worker can run it.

/**
 * The network a RUN's process sees: the runtime's default (a bridge), none, the host's, or a network
 * of the runtime by name (`--network NAME`: the worker checks it exists before any step runs).
 */
export type NetworkMode = 'default' | 'none' | 'host' | (string & {});

/** A resource limit of the process (`--ulimit nofile=1024:2048`); -1 is unlimited. */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/**
 * Settings of the process's container, as `docker build` passes them (`--memory`, `--cpu-*`,
 * `--shm-size`, `--ulimit`, `--add-host`, `--cgroup-parent`, `--security-opt`) and buildx's
 * `--resource`. None of them is part of a cache key (BuildKit's `--resource` is not either).
 */
export interface ResourceLimits {
  /** Bytes of memory the process may use. */
  memory?: number;
  /** Memory plus swap, in bytes; -1 for unlimited swap. */
  memorySwap?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuShares?: number;
  /** CPUs and memory nodes the process may use (`0-3`, `0,1`). */
  cpusetCpus?: string;
  cpusetMems?: string;
  /** Maximum number of processes. */
  pidsLimit?: number;
  /** Bytes of /dev/shm. */
  shmSize?: number;
  ulimits?: Ulimit[];
  /** `host:ip` lines for /etc/hosts (`ip` may be `host-gateway`). */
  extraHosts?: string[];
  cgroupParent?: string;
  securityOpt?: string[];
}

/** A host file or directory mounted into the process (a secret, a copy of a bind source). */
export interface HostMount {
  type: 'bind';
  /** Host path. */
  source: string;
  /** Absolute path in the container. */
  target: string;
  readOnly: boolean;
}

export interface TmpfsMount {
  type: 'tmpfs';
  target: string;
  /** Bytes; 0 for the runtime's default. */
  sizeLimit: number;
}

/**
 * A persistent cache directory (RUN --mount=type=cache): the worker keeps one per `id` (and root
 * owner), shared, locked or private per `sharing` as BuildKit's caches are, starting empty.
 */
export interface CacheMount {
  type: 'cache';
  id: string;
  target: string;
  readOnly: boolean;
  sharing: 'shared' | 'private' | 'locked';
  /** Owner and mode of a new cache's root, when the mount sets any of them. */
  uid?: number;
  gid?: number;
  mode?: number;
}

export type SpecMount = HostMount | TmpfsMount | CacheMount;

export interface ContainerSpec {
  /** The process to run. */
  argv: string[];
  /** `KEY=value`, as the process sees it (secrets given as env included). */
  env: string[];
  /** `user[:group]`, names resolved in the image's /etc/passwd; empty for root. */
  user: string;
  /** Absolute working directory (created when missing). */
  workdir: string;
  network: NetworkMode;
  /** `insecure`: all capabilities, no seccomp, devices (RUN --security=insecure). */
  security: 'sandbox' | 'insecure';
  mounts: SpecMount[];
  limits: ResourceLimits;
  /**
   * A script the argv runs, present only while the process runs and never in the layer (a heredoc
   * with a shebang, which BuildKit mounts at `/dev/pipes/NAME`).
   */
  script?: { path: string; data: string };
}
