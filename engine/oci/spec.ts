// The OCI runtime spec of a RUN, made from one template as BuildKit makes it (executor/oci/spec.go,
// spec_linux.go over containerd's default Unix spec): containerd's 14 capabilities, namespaces,
// masked and read-only paths and mounts; then BuildKit's changes: no /run tmpfs (writes to /run
// land in the layer), read-only binds of its hosts and resolv.conf, a read-only cgroup mount, new
// privileges allowed, host name buildkitsandbox, no rlimits but those `--ulimit` sets (the process
// inherits msbuild's), and moby's default seccomp profile (AppArmor where the daemon uses it).
// `--security=insecure` is BuildKit's insecure spec: every capability, nothing masked, all devices,
// no seccomp. Container settings (`--memory`, `--cpuset-*`, `--shm-size`, `--ulimit`,
// `--security-opt`) as Docker sets them.
import type { ResourceLimits } from '../worker/container-spec.js';
import { OciError } from './errors.js';
import { securityOverrides } from './security-opts.js';
import type { ProcessUser } from './user.js';

export interface SpecMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface RuntimeSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', string[]>;
    noNewPrivileges: boolean;
    /** Only those the build sets (`--ulimit`); the rest are inherited, as BuildKit's are. */
    rlimits?: Array<{ type: string; soft: number; hard: number }>;
    apparmorProfile?: string;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: SpecMount[];
  linux: {
    maskedPaths: string[];
    readonlyPaths: string[];
    cgroupsPath: string;
    resources: Record<string, unknown> & { devices: Array<Record<string, unknown>> };
    namespaces: Array<{ type: string; path?: string }>;
    devices?: Array<Record<string, unknown>>;
    seccomp?: Record<string, unknown>;
  };
}

const defaultPath = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Every capability Linux knows, by bit (what the insecure mode grants of those msbuild holds). */
export const capabilityNames = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
].map((name) => `CAP_${name}`);

/** The capabilities in a `CapBnd`/`CapEff` mask of /proc/self/status. */
export function capabilitiesOf(mask: bigint): string[] {
  return capabilityNames.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

export interface SpecTemplate {
  capabilities: string[];
  seccomp?: Record<string, unknown>;
  apparmorProfile?: string;
  /** Capabilities msbuild holds (the insecure mode's set). */
  allCapabilities: string[];
  /** Loop devices to expose in insecure mode (BuildKit: the next free one and 7 more). */
  loopDevices: number;
}

/** Env over containerd's default PATH: a variable given replaces the default, others are added. */
export function specEnv(env: readonly string[]): string[] {
  const result = [defaultPath];
  const index = new Map([['PATH', 0]]);
  for (const entry of env) {
    const eq = entry.indexOf('=');
    if (eq < 0) {
      // A name without a value unsets it.
      const at = index.get(entry);
      if (at !== undefined) result[at] = '';
      continue;
    }
    const name = entry.slice(0, eq);
    const at = index.get(name);
    if (at !== undefined) result[at] = entry;
    else {
      index.set(name, result.length);
      result.push(entry);
    }
  }
  return result.filter((entry) => entry !== '');
}

export interface StepSpec {
  args: string[];
  env: readonly string[];
  cwd: string;
  user: ProcessUser;
  rootfs: string;
  hostsPath: string;
  resolvConfPath: string;
  /** `undefined`: host networking; `{}`: a new namespace; `{ path }`: join one. */
  network: { path?: string } | undefined;
  cgroupsPath: string;
  insecure: boolean;
  limits: ResourceLimits;
  extraMounts: readonly SpecMount[];
}

function baseMounts(step: StepSpec): SpecMount[] {
  const sysfs = step.insecure ? 'rw' : 'ro';
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: [
        'nosuid',
        'noexec',
        'nodev',
        'mode=1777',
        step.limits.shmSize ? `size=${step.limits.shmSize}` : 'size=65536k',
      ],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', sysfs] },
    // No /run tmpfs (buildkit#429).
    {
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: step.resolvConfPath,
      options: ['nosuid', 'noexec', 'nodev', 'rbind', 'ro'],
    },
    {
      destination: '/etc/hosts',
      type: 'bind',
      source: step.hostsPath,
      options: ['nosuid', 'noexec', 'nodev', 'rbind', 'ro'],
    },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [sysfs, 'nosuid', 'noexec', 'nodev'] },
  ];
}

function resources(step: StepSpec): RuntimeSpec['linux']['resources'] {
  const { memory, memorySwap, cpuQuota, cpuPeriod, cpuShares, cpusetCpus, cpusetMems, pidsLimit } = step.limits;
  const result: RuntimeSpec['linux']['resources'] = {
    devices: step.insecure
      ? [
          { allow: true, type: 'c', access: 'rwm' },
          { allow: true, type: 'b', access: 'rwm' },
        ]
      : [{ allow: false, access: 'rwm' }],
  };
  // As Docker sets them for a container: swap is --memory-swap (-1: unlimited), else twice the memory.
  if (memorySwap !== undefined && !memory)
    throw new OciError(
      'OCI_SPEC',
      '--memory-swap needs --memory (You should always set the Memory limit when using Memoryswap limit)',
    );
  if (memory && memorySwap !== undefined && memorySwap !== -1 && memorySwap < memory)
    throw new OciError(
      'OCI_SPEC',
      '--memory-swap must be at least --memory (Minimum memoryswap limit should be larger than memory limit)',
    );
  if (memory) result.memory = { limit: memory, swap: memorySwap ?? memory * 2 };
  if (cpuQuota || cpuPeriod || cpuShares || cpusetCpus || cpusetMems)
    result.cpu = {
      ...(cpuShares ? { shares: cpuShares } : {}),
      ...(cpuQuota ? { quota: cpuQuota } : {}),
      ...(cpuPeriod ? { period: cpuPeriod } : {}),
      ...(cpusetCpus ? { cpus: cpusetCpus } : {}),
      ...(cpusetMems ? { mems: cpusetMems } : {}),
    };
  if (pidsLimit) result.pids = { limit: pidsLimit };
  return result;
}

function insecureDevices(loopDevices: number): Array<Record<string, unknown>> {
  const character = (path: string, major: number, minor: number) => ({ path, type: 'c', major, minor });
  return [
    character('/dev/kmsg', 1, 11),
    character('/dev/cuse', 10, 203),
    character('/dev/fuse', 10, 229),
    character('/dev/kvm', 10, 232),
    character('/dev/net/tun', 10, 200),
    character('/dev/loop-control', 10, 237),
    ...Array.from({ length: loopDevices }, (_, i) => ({ path: `/dev/loop${i}`, type: 'b', major: 7, minor: i })),
  ];
}

/** The spec of one RUN. */
export function runtimeSpec(template: SpecTemplate, step: StepSpec): RuntimeSpec {
  const security = securityOverrides(step.limits.securityOpt);
  const apparmor = security.apparmor ?? template.apparmorProfile;
  const caps = step.insecure
    ? [...new Set([...template.capabilities, ...template.allCapabilities])]
    : [...template.capabilities];
  const namespaces: RuntimeSpec['linux']['namespaces'] = [
    { type: 'pid' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
  ];
  if (step.network) namespaces.push({ type: 'network', ...(step.network.path ? { path: step.network.path } : {}) });
  const mounts = dedupMounts([...baseMounts(step), ...step.extraMounts]);
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: step.user.uid, gid: step.user.gid, additionalGids: step.user.additionalGids },
      args: step.args,
      env: specEnv(step.env),
      cwd: step.cwd,
      capabilities: {
        bounding: caps,
        effective: caps,
        permitted: caps,
        inheritable: step.insecure ? caps : [],
        ambient: step.insecure ? caps : [],
      },
      noNewPrivileges: security.noNewPrivileges,
      ...(step.limits.ulimits?.length
        ? {
            rlimits: step.limits.ulimits.map((limit) => ({
              type: `RLIMIT_${limit.name.toUpperCase()}`,
              soft: limit.soft,
              hard: limit.hard,
            })),
          }
        : {}),
      ...(!step.insecure && apparmor && apparmor !== 'unconfined' ? { apparmorProfile: apparmor } : {}),
    },
    root: { path: step.rootfs, readonly: false },
    hostname: 'buildkitsandbox',
    mounts,
    linux: {
      maskedPaths: step.insecure
        ? []
        : [
            '/proc/acpi',
            '/proc/asound',
            '/proc/kcore',
            '/proc/keys',
            '/proc/latency_stats',
            '/proc/timer_list',
            '/proc/timer_stats',
            '/proc/sched_debug',
            '/sys/firmware',
            '/sys/devices/virtual/powercap',
            '/proc/scsi',
          ],
      readonlyPaths: step.insecure ? [] : ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      cgroupsPath: step.cgroupsPath,
      resources: resources(step),
      namespaces,
      ...(step.insecure ? { devices: insecureDevices(template.loopDevices) } : {}),
      ...(!step.insecure && security.seccomp === 'default' && template.seccomp ? { seccomp: template.seccomp } : {}),
    },
  };
}

/** A later mount on the same destination replaces the earlier one, in its place (BuildKit's dedupMounts). */
export function dedupMounts(mounts: readonly SpecMount[]): SpecMount[] {
  const result: SpecMount[] = [];
  const at = new Map<string, number>();
  for (const mount of mounts) {
    const index = at.get(mount.destination);
    if (index !== undefined) result[index] = mount;
    else {
      at.set(mount.destination, result.length);
      result.push(mount);
    }
  }
  return result;
}
