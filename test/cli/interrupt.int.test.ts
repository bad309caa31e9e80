// Integration: Ctrl-C (SIGINT) and SIGTERM cancel a build promptly in every phase (a RUN, hashing the
// context, writing a layer, uploading it into a container, the final docker load), remove its
// containers and temp dirs, record no entry for what was cut short and exit 130 / 143; a second
// Ctrl-C exits at once, and what it leaves the next build removes. `bake` behaves the same. An output
// closed under a build (`msbuild build … 2>&1 | head -1`) cancels it the same way and exits 141.
import test from 'ava';
import { mkdir, mkdtemp, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore } from '../../engine/cache/store.js';
import { ownerLabel } from '../../engine/docker/container.js';
import { tempDirPrefix } from '../../engine/util/temp-dirs.js';
import { assertIndexValid } from '../support/cache-index.js';
import { msbuild, startMsbuild } from '../support/cli.js';
import { docker, makeContext, removeDir, requireDaemon, uniqueName } from '../support/docker.js';
import { runcContainersWith, stepsWith, testWorker } from '../support/steps.js';
import { until } from '../support/until.js';

const cleanup: string[] = [];
test.before(requireDaemon);
test.after.always(async () => {
  for (const dir of cleanup) await removeDir(dir);
});

/** Containers (RUN containers and network holders alike) owned by the msbuild process `pid`. */
async function ownedBy(pid: number | undefined): Promise<number> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [`${ownerLabel}=${hostname()}:${pid}`] },
  });
  return containers.length;
}

test('stderr closed mid-build (| head): the build is cancelled, removes its container and temp dir, exits 141', async (t) => {
  const marker = uniqueName('epipe');
  const context = await makeContext({
    Dockerfile: `FROM busybox\nRUN while true; do echo tick; sleep 1; done # ${marker}\n`,
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-int-cache-'));
  cleanup.push(context, cacheDir);
  const run = startMsbuild([
    'build',
    '--progress',
    'plain',
    '--network',
    'none',
    '--pull',
    'never',
    '--cache-dir',
    cacheDir,
    context,
  ]);
  t.true(
    await until(async () => (await stepsWith(marker, cacheDir)) > 0, 30_000),
    `the RUN container started:\n${run.output()}`,
  );
  // The reader goes away, as `head` does once it has its lines: the RUN's next tick meets a closed pipe.
  run.child.stderr?.destroy();
  run.child.stdout?.destroy();
  t.is(await run.exit, 141);
  t.is(await stepsWith(marker, cacheDir), 0, 'no container left');
  t.is(await ownedBy(run.child.pid), 0);
  const leftovers = (await readdir(tmpdir())).filter((name) => name.includes(`-p${run.child.pid}-`));
  t.deepEqual(leftovers, [], 'no temp dir left');
});

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`${signal} during a RUN removes its container and exits ${code}`, async (t) => {
    const marker = uniqueName('interrupt-me');
    const context = await makeContext({ Dockerfile: `FROM busybox\nCOPY f /f\nRUN sleep 60 # ${marker}\n`, f: 'x' });
    const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-int-cache-'));
    cleanup.push(context, cacheDir);
    const run = startMsbuild([
      'build',
      '--progress',
      'plain',
      '--network',
      'none',
      '--pull',
      'never',
      '--cache-dir',
      cacheDir,
      context,
    ]);
    t.true(
      await until(async () => (await stepsWith(marker, cacheDir)) > 0, 30_000),
      `the RUN container started:\n${run.output()}`,
    );
    const sent = Date.now();
    run.child.kill(signal);
    t.is(await run.exit, code, run.output());
    t.true(Date.now() - sent < 15_000, 'cancelled promptly');
    t.is(await stepsWith(marker, cacheDir), 0, 'no container left');
    t.is(await ownedBy(run.child.pid), 0, 'no network holder left either');
    // The COPY before the RUN finished and stays cached; every entry is whole.
    const entries = await new CacheStore(cacheDir).list();
    t.true(entries.some((e) => e.step.startsWith('COPY f /f')));
    t.false(
      entries.some((e) => e.step.startsWith('RUN')),
      'no entry for the cancelled RUN',
    );
    await assertIndexValid(t, cacheDir);
  });
}

/** A context whose `big.bin` is a sparse file of `mib` MiB: quick to make, but read, hashed and written in full. */
async function bigContext(dockerfile: string, mib: number): Promise<string> {
  const context = await makeContext({ Dockerfile: dockerfile, small: 's' });
  await writeFile(join(context, 'big.bin'), '');
  await truncate(join(context, 'big.bin'), mib * 1024 * 1024);
  return context;
}

/** Bytes of the layer tarballs the build is writing under `temp` (its temp dir, named msbuild-<id>-…). */
async function layerBytes(temp: string): Promise<number> {
  let total = 0;
  for (const dir of await readdir(temp).catch(() => [] as string[])) {
    for (const name of await readdir(join(temp, dir)).catch(() => [] as string[])) {
      if (name.startsWith('layer-')) total += (await stat(join(temp, dir, name)).catch(() => ({ size: 0 }))).size;
    }
  }
  return total;
}

const gib = 1024 * 1024 * 1024;

// One per phase of a large COPY; the bound is generous (the target is ~2 s), the build would take
// tens of seconds more. Serial: each writes gigabytes, and the others time their cancellation.
const phases: Array<{ phase: string; dockerfile: string; ready: (output: string, temp: string) => Promise<boolean> }> =
  [
    {
      phase: 'hashing the context',
      dockerfile: 'FROM scratch\nCOPY big.bin /big.bin\n',
      // The step started and no layer is being written yet: the 4 GiB file is being digested.
      ready: async (output, temp) => /COPY big\.bin/.test(output) && (await layerBytes(temp)) === 0,
    },
    {
      phase: 'writing the layer onto scratch',
      dockerfile: 'FROM scratch\nCOPY big.bin /big.bin\n',
      ready: async (_, temp) => (await layerBytes(temp)) > 200 * 1024 * 1024,
    },
    {
      phase: 'the final docker load of a scratch stage',
      dockerfile: 'FROM scratch\nCOPY big.bin /big.bin\nCOPY small /small\n',
      ready: async (output) => (output.match(/#\d+ DONE/g) ?? []).length >= 2,
    },
    {
      phase: 'uploading the layer into a container (COPY onto busybox)',
      dockerfile: 'FROM busybox\nCOPY . /ctx/\n',
      // The whole tarball is written: the upload to the daemon has begun.
      ready: async (_, temp) => (await layerBytes(temp)) >= 2 * gib,
    },
  ];

for (const { phase, dockerfile, ready } of phases) {
  test.serial(
    `SIGINT while ${phase} exits promptly: no temporary file, no entry for the cut step, a valid index`,
    async (t) => {
      const context = await bigContext(dockerfile, phase.startsWith('hashing') ? 4096 : 2048);
      const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-int-cache-'));
      const temp = await mkdtemp(join(tmpdir(), 'msbuild-int-tmp-'));
      cleanup.push(context, cacheDir, temp);
      if (!phase.startsWith('hashing')) {
        // Digested once beforehand (remembered in the cache dir), so the build goes straight to writing.
        const explained = await msbuild(['cache', 'explain', '--cache-dir', cacheDir, context]);
        t.is(explained.code, 0, explained.stderr);
      }
      const run = startMsbuild(
        ['build', '--progress', 'plain', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, context],
        { TMPDIR: temp },
      );
      t.true(await until(() => ready(run.output(), temp), 120_000), `reached ${phase}:\n${run.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      run.child.kill('SIGINT');
      const sent = Date.now();
      t.is(await run.exit, 130, run.output());
      const seconds = (Date.now() - sent) / 1000;
      t.log(`${phase}: exited ${seconds.toFixed(2)} s after SIGINT`);
      t.true(seconds < 10, `exited ${seconds} s after SIGINT`);
      t.deepEqual(await readdir(temp), [], 'temporary files removed');
      t.is(await ownedBy(run.child.pid), 0, 'no container left');
      await assertIndexValid(t, cacheDir);
      const steps = (await new CacheStore(cacheDir).list()).map((entry) => entry.step);
      t.false(
        steps.some((step) => step.includes('big.bin') || step.includes('COPY .')),
        `no entry for the cut step: ${steps.join(', ')}`,
      );
    },
  );
}

test.serial(
  'SIGINT while a RUN layer is being committed removes the container and records no entry for the RUN',
  async (t) => {
    const marker = uniqueName('commit-interrupt');
    // 600 MB of new files: the daemon takes a while to commit them after the command has exited. Serial:
    // a commit that size slows every other daemon call, and the other tests time their cancellation.
    const context = await makeContext({
      Dockerfile: `FROM busybox\nRUN head -c 600000000 /dev/zero > /big # ${marker}\n`,
    });
    const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-int-cache-'));
    cleanup.push(context, cacheDir);
    const run = startMsbuild([
      'build',
      '--progress',
      'plain',
      '--network',
      'none',
      '--pull',
      'never',
      '--cache-dir',
      cacheDir,
      context,
    ]);
    // The Docker worker's container has exited and is being committed; the OCI worker's runc
    // container was there and is gone, while its snapshot and layer tar are being written.
    let seen = false;
    const exited = async () => {
      if ((await testWorker()) === 'oci') {
        const running = await runcContainersWith(marker, cacheDir);
        seen ||= running > 0;
        return seen && running === 0;
      }
      const containers = await docker.listContainers({ all: true, filters: { status: ['exited'] } });
      return containers.some((c) => c.Command.includes(marker));
    };
    t.true(await until(exited, 60_000), `the RUN finished and its commit began:\n${run.output()}`);
    run.child.kill('SIGINT');
    t.is(await run.exit, 130, run.output());
    t.true(await until(async () => (await stepsWith(marker, cacheDir)) === 0, 15_000), 'no container left');
    t.is(await ownedBy(run.child.pid), 0);
    // The step was cancelled: whatever the daemon did with the commit, it is not recorded.
    await assertIndexValid(t, cacheDir);
    t.deepEqual(
      (await new CacheStore(cacheDir).list()).map((entry) => entry.step),
      [],
    );
  },
);

test.serial(
  'a second Ctrl-C exits at once, removing the temp dir; the next build removes the container it left',
  async (t) => {
    const marker = uniqueName('double-interrupt');
    const context = await makeContext({ Dockerfile: `FROM busybox\nCOPY f /f\nRUN sleep 60 # ${marker}\n`, f: 'x' });
    const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-int-cache-'));
    const temp = await mkdtemp(join(tmpdir(), 'msbuild-int-tmp-'));
    cleanup.push(context, cacheDir, temp);
    const run = startMsbuild(
      ['build', '--progress', 'plain', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, context],
      { TMPDIR: temp },
    );
    t.true(await until(async () => (await stepsWith(marker, cacheDir)) > 0, 30_000), run.output());
    t.true((await readdir(temp)).length > 0, 'the build has its temp dir');
    run.child.kill('SIGINT');
    run.child.kill('SIGINT');
    const sent = Date.now();
    t.is(await run.exit, 130);
    t.true(Date.now() - sent < 5000, 'at once');
    t.deepEqual(await readdir(temp), [], 'the temp dir was removed before the forced exit');
    await assertIndexValid(t, cacheDir);
    // A forced exit may leave the RUN container behind; the next build removes what a dead msbuild left.
    const next = await makeContext({ Dockerfile: 'FROM busybox\nLABEL next=build\n' });
    cleanup.push(next);
    await msbuild([
      'build',
      '--progress',
      'quiet',
      '--network',
      'none',
      '--pull',
      'never',
      '--cache-dir',
      cacheDir,
      next,
    ]);
    t.true(
      await until(async () => (await stepsWith(marker, cacheDir)) === 0, 15_000),
      'the orphaned container was removed',
    );
  },
);

test.serial(
  'temp dirs of a killed msbuild are removed by the next build; those of running processes are kept',
  async (t) => {
    const temp = await mkdtemp(join(tmpdir(), 'msbuild-int-tmp-'));
    const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-int-cache-'));
    const context = await bigContext('FROM scratch\nCOPY big.bin /big.bin\n', 2048);
    cleanup.push(temp, cacheDir, context);
    await msbuild(['cache', 'explain', '--cache-dir', cacheDir, context]);
    // SIGKILL (the OOM killer): no cleanup at all, a temp dir with a partial layer stays behind.
    const killed = startMsbuild(
      ['build', '--progress', 'plain', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, context],
      { TMPDIR: temp },
    );
    t.true(await until(async () => (await layerBytes(temp)) > 50 * 1024 * 1024, 60_000), killed.output());
    killed.child.kill('SIGKILL');
    await killed.exit;
    const left = await readdir(temp);
    t.is(left.length, 1);
    t.true(
      left[0].startsWith('msbuild-') && left[0].includes(`-p${killed.child.pid}-`),
      `named after its process: ${left[0]}`,
    );
    // A live process's dir (this test's) is not touched.
    const alive = join(temp, `${tempDirPrefix('0123456789ab')}Abc123`);
    await mkdir(alive);
    const next = await makeContext({ Dockerfile: 'FROM busybox\nLABEL next=build\n' });
    cleanup.push(next);
    const result = await msbuild(
      ['build', '--progress', 'plain', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, next],
      { env: { TMPDIR: temp } },
    );
    t.is(result.code, 0, result.stderr);
    t.regex(result.stderr, /removed 1 temporary directory left by an interrupted msbuild/);
    t.deepEqual(await readdir(temp), [alive.slice(temp.length + 1)]);
  },
);

/** A bake of `targets` (stages of `dockerfile`) started in the background, with its own cache and TMPDIR. */
async function startBake(dockerfile: string, targets: string[]) {
  const context = await makeContext({ Dockerfile: dockerfile });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-int-cache-'));
  const temp = await mkdtemp(join(tmpdir(), 'msbuild-int-tmp-'));
  cleanup.push(context, cacheDir, temp);
  const file = join(context, 'msbuild.yaml');
  await writeFile(file, `targets:\n${targets.map((name) => `  ${name}: {target: ${name}}\n`).join('')}`);
  const run = startMsbuild(
    ['bake', '-f', file, '--progress', 'plain', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir],
    { TMPDIR: temp },
  );
  return { run, cacheDir, temp };
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`bake: ${signal} cancels every target, removes their containers and exits ${code}`, async (t) => {
    const marker = uniqueName('bake-interrupt');
    const { run, cacheDir, temp } = await startBake(
      `FROM busybox AS one\nRUN sleep 60 # ${marker} one\nFROM busybox AS two\nRUN sleep 60 # ${marker} two\n`,
      ['one', 'two'],
    );
    t.true(await until(async () => (await stepsWith(marker, cacheDir)) === 2, 30_000), run.output());
    run.child.kill(signal);
    const sent = Date.now();
    t.is(await run.exit, code, run.output());
    t.true(Date.now() - sent < 10_000, 'cancelled promptly');
    t.regex(run.output(), /bake cancelled; intermediate containers removed/);
    t.is(await stepsWith(marker, cacheDir), 0, 'no container left');
    t.is(await ownedBy(run.child.pid), 0, 'no network holder left either');
    t.deepEqual(await readdir(temp), [], 'temp dirs removed');
    await assertIndexValid(t, cacheDir);
  });
}

test('bake: a second Ctrl-C exits at once; the next build removes what it left', async (t) => {
  const marker = uniqueName('bake-double');
  const { run, cacheDir, temp } = await startBake(`FROM busybox AS one\nRUN sleep 60 # ${marker}\n`, ['one']);
  t.true(await until(async () => (await stepsWith(marker, cacheDir)) > 0, 30_000), run.output());
  run.child.kill('SIGINT');
  run.child.kill('SIGINT');
  t.is(await run.exit, 130, run.output());
  t.deepEqual(await readdir(temp), []);
  const next = await makeContext({ Dockerfile: 'FROM busybox\nLABEL next=bake\n' });
  cleanup.push(next);
  await msbuild([
    'build',
    '--progress',
    'quiet',
    '--network',
    'none',
    '--pull',
    'never',
    '--cache-dir',
    cacheDir,
    next,
  ]);
  t.true(
    await until(async () => (await stepsWith(marker, cacheDir)) === 0, 15_000),
    'the orphaned container was removed',
  );
});
