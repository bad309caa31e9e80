// Unit: a RUN's OCI spec is BuildKit's: containerd's capabilities and masked paths, no /run tmpfs,
// read-only hosts/resolv.conf, host name buildkitsandbox, no rlimits, new privileges allowed, the
// daemon's seccomp profile; env over the default PATH; limits as Docker sets them; and the insecure
// mode's full capabilities, devices and no confinement.
import test from 'ava';
import { cgroupsPathFor, normalCgroupParent, ownCgroup } from '../../engine/oci/recovery.js';
import { parseSecurityOpts } from '../../engine/oci/security-opts.js';
import { defaultCapabilities } from '../../engine/oci/security-profile.js';
import { capabilitiesOf, dedupMounts, runtimeSpec, specEnv, type StepSpec } from '../../engine/oci/spec.js';

const template = {
  capabilities: defaultCapabilities,
  seccomp: { defaultAction: 'SCMP_ACT_ERRNO' },
  apparmorProfile: 'docker-default',
  allCapabilities: capabilitiesOf((1n << 41n) - 1n),
  loopDevices: 2,
};

const step: StepSpec = {
  args: ['/bin/sh', '-c', 'true'],
  env: ['FOO=bar', 'PATH=/go/bin:/usr/bin'],
  cwd: '/app',
  user: { uid: 1000, gid: 1000, additionalGids: [1000, 50] },
  rootfs: '/state/run/x/rootfs',
  hostsPath: '/state/hosts',
  resolvConfPath: '/state/resolv.conf',
  network: { path: '/proc/42/ns/net' },
  cgroupsPath: '/msbuild-oci/x',
  insecure: false,
  limits: {},
  extraMounts: [],
};

test('the sandbox spec', (t) => {
  const spec = runtimeSpec(template, step);
  t.is(spec.hostname, 'buildkitsandbox');
  t.false(spec.process.noNewPrivileges);
  t.false('rlimits' in spec.process);
  t.deepEqual(spec.process.capabilities.bounding, defaultCapabilities);
  t.deepEqual(spec.process.capabilities.ambient, []);
  t.is(spec.process.apparmorProfile, 'docker-default');
  t.deepEqual(spec.linux.seccomp, { defaultAction: 'SCMP_ACT_ERRNO' });
  t.false(spec.mounts.some((m) => m.destination === '/run'));
  t.like(
    spec.mounts.find((m) => m.destination === '/etc/hosts'),
    {
      source: '/state/hosts',
      options: ['nosuid', 'noexec', 'nodev', 'rbind', 'ro'],
    },
  );
  t.like(
    spec.mounts.find((m) => m.destination === '/sys'),
    { options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  );
  t.true(spec.linux.maskedPaths.includes('/proc/kcore'));
  t.true(spec.linux.readonlyPaths.includes('/proc/sys'));
  t.deepEqual(spec.linux.namespaces.at(-1), { type: 'network', path: '/proc/42/ns/net' });
  t.deepEqual(spec.linux.resources.devices, [{ allow: false, access: 'rwm' }]);
  t.deepEqual(spec.process.env, ['PATH=/go/bin:/usr/bin', 'FOO=bar']);
  t.deepEqual(spec.process.user, { uid: 1000, gid: 1000, additionalGids: [1000, 50] });
});

test('host networking has no network namespace', (t) => {
  const spec = runtimeSpec(template, { ...step, network: undefined });
  t.false(spec.linux.namespaces.some((ns) => ns.type === 'network'));
  t.deepEqual(runtimeSpec(template, { ...step, network: {} }).linux.namespaces.at(-1), { type: 'network' });
});

test('resource limits as Docker sets them', (t) => {
  const spec = runtimeSpec(template, {
    ...step,
    limits: { memory: 1 << 30, cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, pidsLimit: 100 },
  });
  t.deepEqual(spec.linux.resources.memory, { limit: 1 << 30, swap: 2 ** 31 });
  t.deepEqual(spec.linux.resources.cpu, { shares: 512, quota: 50000, period: 100000 });
  t.deepEqual(spec.linux.resources.pids, { limit: 100 });
});

test('insecure: every capability, nothing masked, devices, no seccomp or AppArmor', (t) => {
  const spec = runtimeSpec(template, { ...step, insecure: true });
  t.true(spec.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
  t.true(spec.process.capabilities.ambient.includes('CAP_SYS_ADMIN'));
  t.deepEqual(spec.linux.maskedPaths, []);
  t.deepEqual(spec.linux.readonlyPaths, []);
  t.false('seccomp' in spec.linux);
  t.false('apparmorProfile' in spec.process);
  t.true(spec.linux.devices?.some((d) => d.path === '/dev/fuse'));
  t.true(spec.linux.devices?.some((d) => d.path === '/dev/loop1'));
  t.like(
    spec.mounts.find((m) => m.destination === '/sys'),
    { options: ['nosuid', 'noexec', 'nodev', 'rw'] },
  );
});

test('env: a variable replaces the default PATH, a bare name unsets', (t) => {
  t.deepEqual(specEnv([]), ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  t.deepEqual(specEnv(['A=1', 'PATH']), ['A=1']);
  t.deepEqual(specEnv(['A=1', 'A=2']), ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=2']);
});

test('a later mount on the same target replaces the earlier one in place', (t) => {
  const mounts = dedupMounts([
    { destination: '/a', type: 'bind', source: '1' },
    { destination: '/b', type: 'bind', source: '2' },
    { destination: '/a', type: 'tmpfs', source: '3' },
  ]);
  t.deepEqual(
    mounts.map((m) => m.source),
    ['3', '2'],
  );
});

test('capability masks', (t) => {
  t.deepEqual(capabilitiesOf(0b101n), ['CAP_CHOWN', 'CAP_DAC_READ_SEARCH']);
  t.is(capabilitiesOf((1n << 41n) - 1n).length, 41);
});

test('container settings as Docker sets them: swap, cpusets, /dev/shm size, ulimits', (t) => {
  const spec = runtimeSpec(template, {
    ...step,
    limits: {
      memory: 64 << 20,
      memorySwap: 128 << 20,
      cpusetCpus: '0',
      cpusetMems: '0',
      shmSize: 128 << 20,
      ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
    },
  });
  t.deepEqual(spec.linux.resources.memory, { limit: 64 << 20, swap: 128 << 20 });
  t.deepEqual(spec.linux.resources.cpu, { cpus: '0', mems: '0' });
  t.true(spec.mounts.find((m) => m.destination === '/dev/shm')?.options?.includes(`size=${128 << 20}`));
  t.deepEqual(spec.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }]);
  t.deepEqual(runtimeSpec(template, { ...step, limits: { memory: 64 << 20, memorySwap: -1 } }).linux.resources.memory, {
    limit: 64 << 20,
    swap: -1,
  });
  t.throws(() => runtimeSpec(template, { ...step, limits: { memorySwap: 128 << 20 } }), {
    message: /--memory-swap needs --memory/,
  });
  t.throws(() => runtimeSpec(template, { ...step, limits: { memory: 64 << 20, memorySwap: 32 << 20 } }), {
    message: /at least --memory/,
  });
});

test('--security-opt as dockerd reads it: no-new-privileges, seccomp=unconfined|builtin, apparmor=PROFILE|unconfined', (t) => {
  const confined = runtimeSpec(template, {
    ...step,
    limits: { securityOpt: ['no-new-privileges', 'apparmor=custom'] },
  });
  t.true(confined.process.noNewPrivileges);
  t.is(confined.process.apparmorProfile, 'custom');
  t.deepEqual(confined.linux.seccomp, template.seccomp);
  const open = runtimeSpec(template, {
    ...step,
    limits: { securityOpt: ['seccomp=unconfined', 'apparmor:unconfined', 'no-new-privileges=false'] },
  });
  t.false(open.process.noNewPrivileges);
  t.false('apparmorProfile' in open.process);
  t.false('seccomp' in open.linux);
  t.deepEqual(
    runtimeSpec(template, { ...step, limits: { securityOpt: ['seccomp=builtin'] } }).linux.seccomp,
    template.seccomp,
  );
});

test('--security-opt: what needs the daemon is refused by name, nonsense as dockerd words it', (t) => {
  t.deepEqual(parseSecurityOpts(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']), {
    unsupported: '--security-opt seccomp=…: needs the Docker worker',
  });
  t.deepEqual(parseSecurityOpts(['label=disable']), { unsupported: '--security-opt label=…: needs the Docker worker' });
  t.deepEqual(parseSecurityOpts(['bogus']), { unsupported: 'invalid --security-opt 1: "bogus"' });
  t.deepEqual(parseSecurityOpts(['bogus=1']), { unsupported: 'invalid --security-opt 2: "bogus=1"' });
  t.deepEqual(parseSecurityOpts(['no-new-privileges=maybe']), {
    unsupported: 'invalid --security-opt 2: "no-new-privileges=maybe"',
  });
});

test('--cgroup-parent: absolute from each hierarchy’s root, relative under msbuild’s own cgroup; ".." is refused', (t) => {
  t.is(cgroupsPathFor('msbuild-1-0-a'), '/msbuild-oci/msbuild-1-0-a');
  t.is(cgroupsPathFor('msbuild-1-0-a', normalCgroupParent('/ci/./jobs/')), '/ci/jobs/msbuild-1-0-a');
  t.throws(() => normalCgroupParent('../escape'), { message: /without "\.\."/ });
  t.is(ownCgroup('12:pids:/x\n4:memory:/process_api/abc\n1:name=systemd:/y\n'), '/process_api/abc');
  t.is(ownCgroup('0::/user.slice/session-1.scope\n'), '/user.slice/session-1.scope');
  t.is(ownCgroup(''), '/');
});
