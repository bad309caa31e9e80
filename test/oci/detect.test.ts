// Unit: the OCI worker's preconditions: runc's version and Debian's backport of the CVE-2024-21626
// fix, root and a local daemon, overlay2 without user remapping; and the names recovery uses to
// tell a dead process's containers, mounts and cgroups from a live one's.
import test from 'ava';
import { changelogHasFix, daemonProblem, hostProblem, parseRuncVersion } from '../../engine/oci/detect.js';
import { mountsUnder, ownerOfPath } from '../../engine/oci/recovery.js';
import { containerIdFor, ownerOfContainer } from '../../engine/oci/runc.js';
import { ociUnsupported } from '../../engine/oci/select.js';

const debian =
  'runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\nlibseccomp: 2.5.4\n';

test('runc --version', (t) => {
  t.deepEqual(parseRuncVersion(debian), { version: [1, 1, 5], commit: '1.1.5+ds1-1+deb12u1' });
  t.deepEqual(parseRuncVersion('runc version 1.2.0\ncommit: v1.2.0-0-g0b9fa21\n')?.version, [1, 2, 0]);
  t.is(parseRuncVersion('crun version 1.8'), undefined);
});

test("Debian's backport is recognised from the package's changelog", (t) => {
  const changelog =
    'runc (1.1.5+ds1-1+deb12u1) bookworm-security; urgency=high\n\n  * CVE-2024-21626: several container breakouts due to internally leaked fds\n\n runc (1.1.5+ds1-1) unstable; urgency=medium\n';
  t.true(changelogHasFix(changelog, '1.1.5+ds1-1+deb12u1'));
  // The changelog of another version than the binary's says nothing about this binary.
  t.false(changelogHasFix(changelog, '1.1.5+ds1-1'));
  t.false(changelogHasFix('runc (1.1.5+ds1-1) unstable; urgency=medium\n', '1.1.5+ds1-1'));
});

test('root, a local daemon', (t) => {
  t.regex(hostProblem({}, 1000) ?? '', /does not run as root/);
  t.regex(hostProblem({ DOCKER_HOST: 'tcp://10.0.0.1:2375' }, 0) ?? '', /not a local unix socket/);
  t.regex(hostProblem({ DOCKER_HOST: 'ssh://build@host' }, 0) ?? '', /not a local unix socket/);
});

test("the daemon's storage", (t) => {
  t.is(daemonProblem({ Driver: 'overlay2', SecurityOptions: ['name=seccomp,profile=default'] }), undefined);
  t.regex(daemonProblem({ Driver: 'vfs' }) ?? '', /vfs, not overlay2/);
  t.regex(daemonProblem({ Driver: 'overlay2', SecurityOptions: ['name=userns'] }) ?? '', /userns-remap/);
  t.regex(daemonProblem({ Driver: 'overlay2', SecurityOptions: ['name=rootless'] }) ?? '', /rootless/);
});

test('owners by name', (t) => {
  const id = containerIdFor(4321, 7);
  t.regex(id, /^msbuild-4321-7-[a-z0-9]+$/);
  t.is(ownerOfContainer(id), 4321);
  t.is(ownerOfContainer('buildkit-abc'), undefined);
  t.is(ownerOfPath('/state/snapshots/new-99-0123456789abcdef/fs'), 99);
  t.is(ownerOfPath(`/state/run/${id}/rootfs`), 4321);
  t.is(ownerOfPath('/state/snapshots/0123456789abcdef/fs.new-12-aa'), 12);
  t.is(ownerOfPath('/state/snapshots/0123456789abcdef/fs'), undefined);
});

test('mounts under the state dir, deepest first, with escaped spaces', (t) => {
  const info = [
    '22 1 0:21 / / rw - ext4 /dev/vda rw',
    '40 22 0:50 / /st\\040ate/run/msbuild-1-0-a/rootfs rw - overlay overlay rw',
    '41 40 0:51 / /st\\040ate/run/msbuild-1-0-a/rootfs/cache rw - none none rw',
    '42 22 0:52 / /st\\040ateless rw - tmpfs tmpfs rw',
  ].join('\n');
  t.deepEqual(mountsUnder(info, '/st ate'), [
    '/st ate/run/msbuild-1-0-a/rootfs/cache',
    '/st ate/run/msbuild-1-0-a/rootfs',
  ]);
});

test('what only the Docker worker does is named; container settings the OCI worker carries are not', (t) => {
  const carried = {
    memory: 1 << 26,
    memorySwap: -1,
    cpusetCpus: '0',
    cpusetMems: '0',
    shmSize: 1 << 27,
    ulimits: [{ name: 'nofile', soft: 1, hard: 2 }],
  };
  t.is(ociUnsupported({ network: 'default', limits: carried }), undefined);
  t.is(
    ociUnsupported({
      network: 'mynet',
      limits: { extraHosts: ['a:host-gateway'], cgroupParent: 'x', securityOpt: ['seccomp=unconfined'] },
    }),
    undefined,
  );
  t.is(
    ociUnsupported({ network: 'none', limits: { securityOpt: ['label=disable'] } }),
    '--security-opt label=…: needs the Docker worker',
  );
  t.regex(ociUnsupported({ network: 'none', limits: { cgroupParent: 'a/../..' } }) ?? '', /invalid --cgroup-parent/);
});
