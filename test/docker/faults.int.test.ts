// Integration: daemon faults. No daemon at DOCKER_HOST is a clear error at once; a daemon killed in
// the middle of a RUN fails the build promptly (no hang) and leaves a valid cache; once the daemon is
// back, the next build succeeds and reuses what finished before the crash.
import test from 'ava';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore } from '../../engine/cache/store.js';
import { msbuild, startMsbuild } from '../support/cli.js';
import { makeContext, removeDir, requireDaemon } from '../support/docker.js';
import { FaultDaemon } from '../support/fault-daemon.js';

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
  t.regex(result.stderr, /no Docker daemon answers at DOCKER_HOST=unix:\/\/\/nonexistent\/docker\.sock: the socket does not exist/);
  t.true(Date.now() - started < 5000);
  const refused = await msbuild(['build', context], { env: { DOCKER_HOST: 'tcp://127.0.0.1:9' } });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /DOCKER_HOST=tcp:\/\/127\.0\.0\.1:9: connection refused/);
});

test('the daemon dies during a RUN: the build fails promptly, the cache stays valid, and recovers', async (t) => {
  const daemon = await FaultDaemon.create();
  cleanup.push(() => daemon.destroy());
  await daemon.start();
  await daemon.loadImage('busybox:latest');
  const context = await makeContext({ Dockerfile: 'FROM busybox\nCOPY f /f\nRUN sleep 60\n', f: 'payload\n' });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-fault-cache-'));
  cleanup.push(() => removeDir(context), () => removeDir(cacheDir));
  const env = { DOCKER_HOST: daemon.host };
  const args = ['build', '--progress', 'plain', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, context];
  const run = startMsbuild(args, env);
  let running = false;
  for (let i = 0; i < 300 && !running; i++) {
    running = (await daemon.docker.listContainers().catch(() => [])).length > 0;
    if (!running) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.true(running, run.output());
  await daemon.kill();
  const killed = Date.now();
  const code = await run.exit;
  t.not(code, 0);
  t.true(Date.now() - killed < 20_000, 'no hang');
  t.regex(run.output(), /error:/);
  for (const entry of await new CacheStore(cacheDir).list()) t.truthy(entry.imageId, 'every entry is whole');

  await daemon.start();
  await writeFile(join(context, 'Dockerfile'), 'FROM busybox\nCOPY f /f\nRUN echo recovered\n');
  const again = startMsbuild(args, env);
  t.is(await again.exit, 0, again.output());
  t.regex(again.output(), /COPY f \/f\n#\d+ CACHED/);
});
