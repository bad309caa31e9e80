// Integration: daemon faults. No daemon at DOCKER_HOST is a clear error at once; a daemon killed in
// the middle of a RUN or of the final load fails the build promptly (no hang) with one message naming
// the step and DOCKER_HOST, runs the build's cleanup and leaves a valid cache; once the daemon is
// back, the next build succeeds and reuses what finished before the crash. A daemon that stops
// answering (a frozen proxy in front of it) fails the build through the liveness watchdog, and Ctrl-C
// then still exits promptly, leaving what it could not remove to the next build.
import test from 'ava';
import { mkdtemp, readdir, truncate, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore } from '../../engine/cache/store.js';
import { ownerLabel } from '../../engine/docker/container.js';
import { assertIndexValid } from '../support/cache-index.js';
import { msbuild, startMsbuild } from '../support/cli.js';
import { docker, makeContext, removeDir, requireDaemon } from '../support/docker.js';
import { FaultDaemon } from '../support/fault-daemon.js';
import { FrozenProxy } from '../support/frozen-proxy.js';
import { runcContainersWith, testWorker } from '../support/steps.js';
import { until } from '../support/until.js';

const cleanup: Array<() => Promise<unknown>> = [];
test.before(requireDaemon);
test.after.always(async () => {
  for (const step of cleanup) await step().catch(() => undefined);
});

test('no daemon at DOCKER_HOST: one clear line naming it, exit 1, at once', async (t) => {
  const context = await makeContext({ Dockerfile: 'FROM busybox\n' });
  cleanup.push(() => removeDir(context));
  const started = Date.now();
  const result = await msbuild(['build', context], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
  t.is(result.code, 1);
  t.is(result.stderr.trim().split('\n').length, 1, result.stderr);
  t.regex(
    result.stderr,
    /no Docker daemon answers at DOCKER_HOST=unix:\/\/\/nonexistent\/docker\.sock: the socket does not exist/,
  );
  t.true(Date.now() - started < 5000);
  const refused = await msbuild(['build', context], { env: { DOCKER_HOST: 'tcp://127.0.0.1:9' } });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /DOCKER_HOST=tcp:\/\/127\.0\.0\.1:9: connection refused/);
  // An ssh:// host: the one error line, no Node deprecation warning (DEP0170) before it.
  const ssh = await msbuild(['build', context], { env: { DOCKER_HOST: 'ssh://nobody@127.0.0.1:9' } });
  t.is(ssh.code, 1);
  t.is(ssh.stderr.trim().split('\n').length, 1, ssh.stderr);
  t.regex(ssh.stderr, /^error: no Docker daemon answers at DOCKER_HOST=ssh:\/\/nobody@127\.0\.0\.1:9: /);
});

test('the daemon dies during a RUN: the build fails promptly, the cache stays valid, and recovers', async (t) => {
  const daemon = await FaultDaemon.create();
  cleanup.push(() => daemon.destroy());
  await daemon.start();
  await daemon.loadImage('busybox:latest');
  const context = await makeContext({ Dockerfile: 'FROM busybox\nCOPY f /f\nRUN sleep 60\n', f: 'payload\n' });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-fault-cache-'));
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
  );
  const env = { DOCKER_HOST: daemon.host };
  const args = [
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
  ];
  const run = startMsbuild(args, env);
  // The Docker worker's RUN is a container of that daemon; the OCI worker's a runc container of its own.
  const oci = (await testWorker()) === 'oci';
  let running = false;
  for (let i = 0; i < 300 && !running; i++) {
    running = oci
      ? (await runcContainersWith('sleep 60', cacheDir)) > 0
      : (await daemon.docker.listContainers().catch(() => [])).length > 0;
    if (!running) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.true(running, run.output());
  await daemon.kill();
  const killed = Date.now();
  const code = await run.exit;
  t.is(code, 1, run.output());
  t.true(Date.now() - killed < 20_000, 'no hang');
  // One message, naming the step and DOCKER_HOST (not `socket hang up` or `connect ECONNREFUSED`).
  const errors = run
    .output()
    .split('\n')
    .filter((line) => line.startsWith('error:'));
  t.is(errors.length, 1, run.output());
  t.regex(
    errors[0],
    oci
      ? // The RUN does not need the daemon: the watchdog (or the step, if it asks first) ends the build.
        /^error: (?:\[stage-0 3\/3\] RUN sleep 60: lost the connection to the Docker daemon|the Docker daemon) at DOCKER_HOST=unix:\/\/\S+\/docker\.sock/
      : /^error: \[stage-0 3\/3\] RUN sleep 60: lost the connection to the Docker daemon at DOCKER_HOST=unix:\/\/\S+\/docker\.sock: /,
    run.output(),
  );
  t.notRegex(run.output(), /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up/);

  await daemon.start();
  await assertIndexValid(t, cacheDir, daemon.docker);
  await writeFile(join(context, 'Dockerfile'), 'FROM busybox\nCOPY f /f\nRUN echo recovered\n');
  const again = startMsbuild(args, env);
  t.is(await again.exit, 0, again.output());
  // Leftovers of the killed build are removed beside the new one: their warning may come in between.
  t.regex(again.output(), /COPY f \/f\n(?:WARNING: [^\n]*\n)*#\d+ CACHED/);
});

test('the daemon dies during the final docker load of a scratch stage: a clear error, cleanup runs, no entry for the unloaded image', async (t) => {
  const daemon = await FaultDaemon.create();
  cleanup.push(() => daemon.destroy());
  await daemon.start();
  const context = await makeContext({
    Dockerfile: 'FROM scratch\nCOPY big.bin /big.bin\nCOPY small /small\n',
    small: 's',
  });
  // Sparse: cheap to make and to hash, but a real 1.5 GiB layer to load.
  await writeFile(join(context, 'big.bin'), '');
  await truncate(join(context, 'big.bin'), 1536 * 1024 * 1024);
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-fault-cache-'));
  const temp = await mkdtemp(join(tmpdir(), 'msbuild-fault-tmp-'));
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
    () => removeDir(temp),
  );
  const args = [
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
  ];
  const run = startMsbuild(args, { DOCKER_HOST: daemon.host, TMPDIR: temp });
  // Both COPY steps are done: what is left is the load of the stage's image.
  t.true(await until(() => (run.output().match(/#\d+ DONE/g) ?? []).length >= 2, 120_000), run.output());
  await new Promise((resolve) => setTimeout(resolve, 500));
  await daemon.kill();
  const killed = Date.now();
  const code = await run.exit;
  t.is(code, 1, run.output());
  t.true(Date.now() - killed < 10_000, `no hang (${Date.now() - killed} ms)`);
  t.regex(
    run.output(),
    /^error: loading the image of stage stage-0: lost the connection to the Docker daemon at DOCKER_HOST=unix:\/\/\S+\/docker\.sock: /m,
  );
  t.notRegex(run.output(), /before the command finished|ECONNRESET|EPIPE|socket hang up/);
  t.deepEqual(await readdir(temp), [], "the build's temp dir (the layer tarballs) was removed");
  // The scratch steps' image was never loaded: no entry may point at it.
  const { entries, broken } = await new CacheStore(cacheDir).verify();
  t.deepEqual(broken, []);
  t.deepEqual(
    entries.map((e) => e.step),
    [],
  );
});

test.serial(
  'a daemon that stops answering during a RUN fails the build through the watchdog; Ctrl-C then still exits at once',
  async (t) => {
    const proxy = await FrozenProxy.create();
    cleanup.push(() => proxy.close());
    const context = await makeContext({ Dockerfile: 'FROM busybox\nRUN sleep 60\n' });
    const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-fault-cache-'));
    cleanup.push(
      () => removeDir(context),
      () => removeDir(cacheDir),
    );
    // The Docker worker's: its RUN is a container of the frozen daemon (the OCI worker's would not be).
    const args = [
      'build',
      '--worker',
      'docker',
      '--progress',
      'plain',
      '--network',
      'none',
      '--pull',
      'never',
      '--no-cache',
      '--cache-dir',
      cacheDir,
      context,
    ];
    const owned = async (pid: number | undefined) =>
      (await docker.listContainers({ all: true, filters: { label: [`${ownerLabel}=${hostname()}:${pid}`] } })).length;
    const running = async (pid: number | undefined) =>
      (await docker.listContainers({ filters: { label: [`${ownerLabel}=${hostname()}:${pid}`] } })).some((c) =>
        c.Command.includes('sleep'),
      );

    // Frozen, and nobody presses Ctrl-C: the watchdog ends the build.
    const watched = startMsbuild(args, { DOCKER_HOST: proxy.host });
    t.true(await until(() => running(watched.child.pid), 30_000), watched.output());
    proxy.freeze();
    const frozen = Date.now();
    t.is(await watched.exit, 1, watched.output());
    t.true(Date.now() - frozen < 30_000, `ended by the watchdog (${Date.now() - frozen} ms)`);
    t.regex(watched.output(), /^error: the Docker daemon at DOCKER_HOST=unix:\/\/\S+\/docker\.sock stopped answering/m);
    t.regex(watched.output(), /the next msbuild build removes them/);
    proxy.thaw();

    // Frozen, then Ctrl-C: the cleanup's removals are time-limited, and the exit says what is left.
    const interrupted = startMsbuild(args, { DOCKER_HOST: proxy.host });
    t.true(await until(() => running(interrupted.child.pid), 30_000), interrupted.output());
    proxy.freeze();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    interrupted.child.kill('SIGINT');
    const sent = Date.now();
    t.is(await interrupted.exit, 130, interrupted.output());
    t.true(Date.now() - sent < 10_000, `exited promptly (${Date.now() - sent} ms)`);
    t.regex(
      interrupted.output(),
      /build cancelled; \d+ container\(s\) could not be removed now: the next build removes them/,
    );
    proxy.thaw();

    // What the two builds left is removed by the next one (whose owner processes are gone).
    t.true(
      (await owned(watched.child.pid)) + (await owned(interrupted.child.pid)) > 0,
      'the frozen daemon kept containers',
    );
    const next = await makeContext({ Dockerfile: 'FROM busybox\nLABEL after=freeze\n' });
    cleanup.push(() => removeDir(next));
    const after = await msbuild([
      'build',
      '--progress',
      'plain',
      '--network',
      'none',
      '--pull',
      'never',
      '--cache-dir',
      cacheDir,
      next,
    ]);
    t.is(after.code, 0, after.stderr);
    t.true(
      await until(async () => (await owned(watched.child.pid)) + (await owned(interrupted.child.pid)) === 0, 15_000),
      'leftovers removed',
    );
  },
);
