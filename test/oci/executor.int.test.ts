// Integration: a RUN through runc on msbuild's overlay snapshots behaves as under BuildKit (host
// name, hosts file, user, working dir, /run in the layer, stubs gone, inherited rlimits) and is
// confined: it cannot mount, see host processes, write /proc/sys or /sys, load modules, or hold a
// host fd; cancelling it kills it within a second and leaves no runc container, mount or cgroup;
// and a chain of 60 layers mounts. Needs root, runc and the daemon (for the busybox layers and the
// daemon's seccomp profile).
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerRegistry } from '../../engine/docker/container.js';
import { ImageLeases } from '../../engine/oci/base-images.js';
import { findRunc } from '../../engine/oci/detect.js';
import { hostsFile, readHostResolvConf, resolvConfFor } from '../../engine/oci/dns-files.js';
import { runStep, type RunEnvironment, type RunRequest } from '../../engine/oci/executor.js';
import { systemHelper } from '../../engine/oci/helper.js';
import { mountsUnder } from '../../engine/oci/recovery.js';
import { listContainers } from '../../engine/oci/runc.js';
import { defaultCapabilities, profileFromContainer } from '../../engine/oci/security-profile.js';
import { SnapshotStore } from '../../engine/oci/snapshots.js';
import { docker, removeDir, requireDaemon } from '../support/docker.js';

let environment: RunEnvironment;
let busyboxDirs: string[];
const registry = new ContainerRegistry();

test.before(async () => {
  await requireDaemon();
  const runc = await findRunc();
  if (!runc) throw new Error('integration tests of the OCI worker need runc (scripts/ensure-docker.sh installs it)');
  const stateDir = await mkdtemp(join(tmpdir(), 'msbuild-oci-exec-'));
  await mkdir(join(stateDir, 'run'));
  // The daemon's seccomp profile, from a container it runs with the defaults.
  const holder = await docker.createContainer({
    Image: 'busybox:latest',
    Cmd: ['sleep', '60'],
    Labels: { 'io.msbuild.test': 'oci' },
  });
  await holder.start();
  const profile = await profileFromContainer({ id: holder.id, pid: (await holder.inspect()).State.Pid }).finally(() =>
    holder.remove({ force: true }),
  );
  await writeFile(join(stateDir, 'hosts'), hostsFile());
  await writeFile(join(stateDir, 'resolv.conf'), resolvConfFor(await readHostResolvConf('other'), 'other'));
  environment = {
    stateDir,
    helper: systemHelper(),
    store: new SnapshotStore(stateDir),
    runc: { binary: runc, root: join(stateDir, 'runc') },
    template: { capabilities: defaultCapabilities, ...profile, allCapabilities: [], loopDevices: 0 },
    hostsPath: join(stateDir, 'hosts'),
    resolvConfPath: join(stateDir, 'resolv.conf'),
  };
  const busybox = (await docker.getImage('busybox:latest').inspect()).Id;
  busyboxDirs = (await new ImageLeases(docker, registry, 'oci-executor-test').layers(busybox)).dirs;
});

test.after.always(async () => {
  await registry.removeAll();
  if (environment) await removeDir(environment.stateDir);
});

async function run(script: string, options: Partial<RunRequest> = {}) {
  let output = '';
  const outcome = await runStep(environment, {
    lowers: busyboxDirs,
    args: ['/bin/sh', '-c', script],
    env: [],
    cwd: '/',
    user: '',
    network: {},
    insecure: false,
    limits: {},
    mounts: [],
    onOutput: (_, chunk) => (output += chunk.toString()),
    ...options,
  });
  const snapshot = outcome.snapshot ? await environment.store.commit(outcome.snapshot, {}) : undefined;
  return { ...outcome, output, snapshot };
}

test.serial('BuildKit sandbox: host name, hosts, user, working dir, /run kept, stubs gone', async (t) => {
  const result = await run(
    'hostname; grep -c buildkitsandbox /etc/hosts; id -u; pwd; [ "$(ulimit -n)" = "$EXPECTED" ] && echo rlimit-inherited',
    {
      cwd: '/work/sub',
      user: '65534',
      env: [`EXPECTED=${(await readFile('/proc/self/limits', 'utf8')).match(/Max open files\s+(\d+)/)?.[1]}`],
    },
  );
  t.is(result.exitCode, 0, result.output);
  t.is(result.output, 'buildkitsandbox\n1\n65534\n/work/sub\nrlimit-inherited\n');
  const fs = environment.store.fsOf(result.snapshot?.id ?? '');
  // The working dir was made for the step's user; runc's stub files did not stay.
  const { uid } = await import('node:fs/promises').then((m) => m.stat(join(fs, 'work/sub')));
  t.is(uid, 65534);
  t.false(existsSync(join(fs, 'etc/hosts')));
  t.false(existsSync(join(fs, 'etc/resolv.conf')));
});

test.serial('no /run tmpfs: what a step writes there is in its layer', async (t) => {
  const result = await run('mkdir -p /run && echo kept > /run/file && grep -c " /run " /proc/mounts || true');
  t.is(result.output, '0\n');
  t.is(await readFile(join(environment.store.fsOf(result.snapshot?.id ?? ''), 'run/file'), 'utf8'), 'kept\n');
});

test.serial('a failing command: its exit code, no snapshot kept', async (t) => {
  const result = await run('echo oops >&2; exit 3');
  t.is(result.exitCode, 3);
  t.is(result.snapshot, undefined);
  t.is(result.output, 'oops\n');
});

test.serial(
  'confined: no mounts, no host processes, no /proc/sys or /sys writes, no modules, no host fds',
  async (t) => {
    const checks = [
      '(mount -t tmpfs none /mnt) 2>/dev/null && echo MOUNTED',
      // pid 1 is the step's own shell: the host's processes are in another namespace.
      'tr "\\0" " " < /proc/1/cmdline | grep -q "^/bin/sh -c" || echo HOST-PROCESSES',
      '[ -e /proc/$PPID/root ] && [ "$(ls /proc | grep -c "^[0-9]")" -gt 10 ] && echo MANY-PROCESSES',
      '(echo x > /proc/sys/kernel/hostname) 2>/dev/null && echo PROCSYS',
      '(echo x > /sys/kernel/uevent_helper) 2>/dev/null && echo SYS',
      'grep -q "^CapBnd:.*00000000a80425fb" /proc/self/status || echo CAPS',
      '(insmod /bin/busybox) 2>&1 | grep -q "not permitted" || insmod /bin/busybox',
      'for fd in /proc/self/fd/*; do readlink $fd; done | grep -v "^/dev\\|^pipe:\\|^/proc" && echo HOST-FD',
      'readlink /proc/self/exe | grep -q "^/bin/" || echo EXE',
      'unshare -m true 2>/dev/null && echo UNSHARE',
      'true',
    ];
    const result = await run(checks.join('; '));
    t.is(result.exitCode, 0, result.output);
    t.is(result.output, '');
  },
);

test.serial('cancelled: killed within a second, no runc container, mount or cgroup left', async (t) => {
  const controller = new AbortController();
  const started = Date.now();
  const pending = run('echo started; sleep 100', {
    signal: controller.signal,
    onOutput: () => controller.abort(new Error('interrupted')),
  });
  await t.throwsAsync(pending, { message: 'interrupted' });
  t.true(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  t.deepEqual(await listContainers(environment.runc), []);
  t.deepEqual(mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), environment.stateDir), []);
  const cgroups = await readdir('/sys/fs/cgroup/pids/msbuild-oci').catch(() => [] as string[]);
  t.false(
    cgroups.some((name) => name.startsWith(`msbuild-${process.pid}-`)),
    cgroups.join(' '),
  );
  t.deepEqual(await readdir(join(environment.stateDir, 'run')), []);
});

test.serial('cancelled with its runc state gone (the state dir deleted under it): the RUN still ends', async (t) => {
  const marker = `orphan-${process.pid}-${Date.now()}`;
  const controller = new AbortController();
  const pending = run(`echo started; sleep 100 # ${marker}`, {
    signal: controller.signal,
    onOutput: () => {
      // runc's state for the container goes, as when a cache dir is deleted under a running build.
      void rm(environment.runc.root, { recursive: true, force: true }).then(() =>
        controller.abort(new Error('interrupted')),
      );
    },
  });
  await t.throwsAsync(pending, { message: 'interrupted' });
  const alive = async () => {
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      if ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(marker)) return true;
    }
    return false;
  };
  t.false(await alive(), 'the RUN’s shell is gone');
  t.deepEqual(mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), environment.stateDir), []);
});

test.serial('sixty layers mount', async (t) => {
  let lowers = busyboxDirs;
  for (let i = 0; i < 60; i++) {
    const layer = await environment.store.create();
    await writeFile(join(layer.fs, `layer-${i}`), String(i));
    const meta = await environment.store.commit(layer, {});
    lowers = [environment.store.fsOf(meta.id), ...lowers];
  }
  const result = await run('ls / | grep -c "^layer-"', { lowers });
  t.is(result.exitCode, 0, result.output);
  t.is(result.output, '60\n');
});
