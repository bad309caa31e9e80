// Integration: RUN container settings (`--memory-swap`, `--cpuset-cpus`, `--cpuset-mems`, `--shm-size`,
// `--ulimit`, `--add-host`, `--security-opt`, `--cgroup-parent`) reach the RUN on the OCI worker exactly as the daemon sets them on the Docker worker:
// the same Dockerfile reads them from inside on both, and both images hold the same answers.
import test, { type ExecutionContext } from 'ava';
import { mkdtemp, readdir, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import type { ResourceLimits } from '../../engine/options.js';
import type { NetworkMode } from '../../engine/worker/container-spec.js';
import { madeByThisFile, makeContext, runImage, uniqueName } from '../support/docker.js';

const { cleanup, tags } = madeByThisFile();

const limits: ResourceLimits = {
  memory: 64 << 20,
  memorySwap: 128 << 20,
  cpusetCpus: '0',
  cpusetMems: '0',
  shmSize: 96 << 20,
  ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
};

const reads = [
  'cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
  'cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo no-swap-accounting',
  'cat /sys/fs/cgroup/cpuset/cpuset.cpus /sys/fs/cgroup/cpuset/cpuset.mems',
  "grep ' /dev/shm ' /proc/mounts | grep -o 'size=[0-9a-z]*'",
  'ulimit -n',
  'ulimit -Hn',
].join('; ');

/** Builds `RUN { script; } > /settings` on each worker with `options`; what each image's /settings holds. */
async function settingsOnBothWorkers(
  t: ExecutionContext,
  script: string,
  options: { limits: ResourceLimits; network?: NetworkMode },
): Promise<Record<'docker' | 'oci', string>> {
  const context = await makeContext({ Dockerfile: `FROM busybox\nRUN { ${script}; } > /settings\n` });
  cleanup.push(context);
  const seen = { docker: '', oci: '' };
  for (const worker of ['docker', 'oci'] as const) {
    const cacheDir = await mkdtemp(join(tmpdir(), `msbuild-settings-${worker}-`));
    cleanup.push(cacheDir);
    const tag = `${uniqueName(`msbuild-settings-${worker}`)}:latest`;
    tags.push(tag);
    const result = await build({ context, tags: [tag], cacheDir, worker, pull: 'never', ...options });
    t.is(result.summary.worker, worker);
    seen[worker] = await runImage(tag, ['cat', '/settings']);
  }
  return seen;
}

test('the same settings inside a RUN on the OCI worker as on the Docker worker', async (t) => {
  const seen = await settingsOnBothWorkers(t, reads, { limits, network: 'none' });
  t.is(seen.oci, seen.docker);
  const lines = seen.oci.trim().split('\n');
  t.is(lines[0], String(64 << 20));
  t.true(lines[1] === String(128 << 20) || lines[1] === 'no-swap-accounting', lines[1]);
  t.deepEqual(lines.slice(2, 4), ['0', '0']);
  t.is(lines[4], 'size=98304k');
  t.deepEqual(lines.slice(5), ['1024', '2048']);
});

test('--add-host (host-gateway too), --security-opt and --cgroup-parent: the same inside a RUN on both workers', async (t) => {
  const probe = [
    'grep -E "[[:space:]](extra|gateway)$" /etc/hosts',
    'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status',
    // The RUN's own cgroup is named after its container: only its parent is compared.
    'grep -E ":memory:" /proc/self/cgroup | sed "s|/[^/]*\\$||"',
  ].join('; ');
  const parent = uniqueName('msbuild-test-parent');
  const seen = await settingsOnBothWorkers(t, probe, {
    limits: {
      extraHosts: ['extra:10.1.2.3', 'gateway:host-gateway'],
      securityOpt: ['no-new-privileges', 'seccomp=unconfined'],
      cgroupParent: parent,
    },
  });
  t.is(seen.oci, seen.docker);
  t.regex(seen.oci, /^10\.1\.2\.3\s+extra$/m);
  t.regex(seen.oci, /^\d+\.\d+\.\d+\.\d+\s+gateway$/m);
  t.regex(seen.oci, /^NoNewPrivs:\s+1$/m);
  t.regex(seen.oci, /^Seccomp:\s+0$/m);
  // A relative parent is under the runtime's own cgroup (dockerd's shim, msbuild): here the same one.
  const parentPath = new RegExp(`:memory:(/(?:.*/)?${parent})$`, 'm').exec(seen.oci)?.[1];
  t.truthy(parentPath, seen.oci);
  // The parents both runtimes made stay behind (empty): removed from every hierarchy.
  for (const hierarchy of await readdir('/sys/fs/cgroup'))
    await rmdir(join('/sys/fs/cgroup', hierarchy, parentPath ?? parent)).catch(() => undefined);
});
