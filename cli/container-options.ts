// The part of the option table for the settings of RUN containers (hosts, /dev/shm, ulimits, cgroups,
// resources, security options), as `docker build` and buildx take them; both workers read them from
// BuildOptions.limits (the OCI worker refuses the ones its runc spec does not carry yet).
import type { OptionSpec } from './option-spec.js';

export const containerOptions = {
  extraHosts: {
    flags: '--add-host <host=ip>',
    description: 'add a host-to-IP mapping to RUN containers (host:ip or host=ip; ip may be host-gateway)',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
  },
  shmSize: {
    flags: '--shm-size <size>',
    description: 'size of /dev/shm in RUN containers (e.g. 128m)',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
  },
  ulimits: {
    flags: '--ulimit <name=soft[:hard]>',
    description: 'ulimit of RUN containers (e.g. nofile=1024:2048)',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
  },
  cgroupParent: {
    flags: '--cgroup-parent <path>',
    description: 'parent cgroup of RUN containers',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
  },
  resources: {
    flags: '--resource <key=value>',
    description:
      'resource limit of RUN containers: memory, memory-swap, cpu-shares, cpu-period, cpu-quota, cpuset-cpus, cpuset-mems',
    commands: ['build'],
    support: 'works',
    origin: 'buildx',
    repeatable: true,
  },
  'limits.memory': {
    flags: '-m, --memory <size>',
    description: 'memory limit of RUN containers (e.g. 512m)',
    commands: ['build'],
    support: 'works',
    origin: 'legacy',
  },
  'limits.memorySwap': {
    flags: '--memory-swap <size>',
    description: 'memory plus swap limit of RUN containers; -1 for unlimited swap',
    commands: ['build'],
    support: 'works',
    origin: 'legacy',
  },
  'limits.cpuShares': {
    flags: '-c, --cpu-shares <n>',
    description: 'CPU shares (relative weight) of RUN containers',
    commands: ['build'],
    support: 'works',
    origin: 'legacy',
  },
  'limits.cpuPeriod': {
    flags: '--cpu-period <n>',
    description: 'CPU CFS period of RUN containers',
    commands: ['build'],
    support: 'works',
    origin: 'legacy',
  },
  'limits.cpuQuota': {
    flags: '--cpu-quota <n>',
    description: 'CPU CFS quota of RUN containers',
    commands: ['build'],
    support: 'works',
    origin: 'legacy',
  },
  'limits.cpusetCpus': {
    flags: '--cpuset-cpus <cpus>',
    description: 'CPUs RUN containers may use (0-3, 0,1)',
    commands: ['build'],
    support: 'works',
    origin: 'legacy',
  },
  'limits.cpusetMems': {
    flags: '--cpuset-mems <mems>',
    description: 'memory nodes RUN containers may use (0-3, 0,1)',
    commands: ['build'],
    support: 'works',
    origin: 'legacy',
  },
  securityOpt: {
    flags: '--security-opt <option>',
    description: 'security option of RUN containers (e.g. seccomp=unconfined)',
    commands: ['build'],
    support: 'works',
    origin: 'legacy',
    repeatable: true,
  },
  // What is written.
} as const satisfies Record<string, OptionSpec>;
