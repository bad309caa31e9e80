// Integration: RUN mounts — a secret is visible to its step only, byte for byte, and never in history,
// layers or the cache index; it is staged on a memory file system, so a kill -9 leaves nothing of it
// on disk and the next build removes the staged copy; a cache mount persists between builds, honours sharing and uid/gid/mode;
// tmpfs and bind mounts leave no trace; what a bind mount exposes is in the step's cache key.
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from '../../engine/build.js';
import { cacheVolumeName } from '../../engine/docker/cache-volumes.js';
import type { BuildEvent } from '../../engine/events.js';
import type { RunMount } from '../../engine/instructions/types.js';
import { startMsbuild } from '../support/cli.js';
import {
  docker,
  dockerCli,
  imageFiles,
  makeContext,
  removeDir,
  removeImages,
  requireDaemon,
  runCommand,
  runImage,
  uniqueName,
} from '../support/docker.js';
import { runcBundlesWith, testWorker } from '../support/steps.js';
import { until } from '../support/until.js';

const cleanup: Array<() => Promise<unknown>> = [];
test.before(requireDaemon);
test.after.always(async () => {
  for (const step of cleanup) await step().catch(() => undefined);
});

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

test('a secret is staged in memory: its mount is a tmpfs, a kill -9 leaves nothing of it on disk, the next build removes it', async (t) => {
  const secret = `s3cr3t-${uniqueName('staged')}`;
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-secret-'));
  cleanup.push(() => removeDir(dir));
  await writeFile(join(dir, 'token'), secret);
  const marker = uniqueName('staged-secret');
  const context = await makeContext({
    // The secret's mount comes from a tmpfs (mountinfo: `… /run/secrets … - tmpfs …`); then the RUN waits.
    Dockerfile: `FROM busybox\nRUN --mount=type=secret,id=token grep ' /run/secrets ' /proc/self/mountinfo | grep -q ' - tmpfs ' && touch /staged && sleep 60 # ${marker}\n`,
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-secret-cache-'));
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
  );
  const args = ['build', '--progress', 'plain', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir];
  const run = startMsbuild([...args, '--secret', `id=token,src=${join(dir, 'token')}`, context]);
  const started = async () => {
    if ((await testWorker()) === 'oci') {
      const bundles = await runcBundlesWith(marker, cacheDir);
      return bundles.some((bundle) => existsSync(join(bundle, 'rootfs', 'staged')));
    }
    const containers = await docker.listContainers({ filters: { status: ['running'] } });
    const mine = containers.find((c) => c.Command.includes(marker));
    if (!mine) return false;
    const probe = await runCommand(dockerCli, ['exec', mine.Id, 'test', '-e', '/staged']);
    return probe.code === 0;
  };
  t.true(await until(started, 30_000), `the RUN saw its secret on a tmpfs:\n${run.output()}`);
  run.child.kill('SIGKILL');
  await run.exit;
  // What the killed process left under TMPDIR (its temp dir) holds no copy of the secret.
  const left = (await readdir(tmpdir())).filter((name) => name.includes(`-p${run.child.pid}-`));
  const onDisk = (await Promise.all(left.map((name) => allFiles(join(tmpdir(), name)).catch(() => [])))).flat();
  for (const file of onDisk) {
    const text = await readFile(file, 'utf8').catch(() => '');
    t.false(text.includes(secret), `the secret is on disk in ${file}`);
  }
  const staged = (await readdir('/dev/shm')).filter((name) => name.includes(`-p${run.child.pid}-`));
  t.is(staged.length, 1, 'the staged copy is in memory until the next build');
  // The next build (any build) sweeps what the killed one left.
  const next = await makeContext({ Dockerfile: 'FROM busybox\n' });
  cleanup.push(() => removeDir(next));
  const { msbuild } = await import('../support/cli.js');
  const swept = await msbuild([...args, next]);
  t.is(swept.code, 0, swept.stderr);
  t.deepEqual(
    (await readdir('/dev/shm')).filter((name) => name.includes(`-p${run.child.pid}-`)),
    [],
  );
});

test('a secret is readable by its RUN, and nowhere in the image, its history or the cache index', async (t) => {
  const secret = `s3cr3t-${uniqueName('value')}`;
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-secret-'));
  const secretFile = join(dir, 'token');
  await writeFile(secretFile, secret);
  // The Dockerfile holds only a digest of the secret, so finding the secret anywhere means a leak.
  const { createHash } = await import('node:crypto');
  const md5 = createHash('md5').update(secret).digest('hex');
  const context = await makeContext({
    Dockerfile: [
      'FROM busybox',
      `RUN --mount=type=secret,id=token test "$(md5sum < /run/secrets/token | cut -c1-32)" = "${md5}" && echo ok > /checked`,
      `RUN --mount=type=secret,id=token,env=TOKEN test "$(printf %s "$TOKEN" | md5sum | cut -c1-32)" = "${md5}" && echo ok > /checked-env`,
    ].join('\n'),
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-secret-cache-'));
  const tag = `${uniqueName('msbuild-secret')}:latest`;
  cleanup.push(
    () => removeDir(dir),
    () => removeDir(context),
    () => removeDir(cacheDir),
    () => removeImages(tag),
  );
  await build({
    context,
    tags: [tag],
    network: 'none',
    pull: 'never',
    cacheDir,
    secrets: new Map([['token', { file: secretFile }]]),
  });
  t.is((await runImage(tag, ['cat', '/checked', '/checked-env'])).trim(), 'ok\nok');
  const files = await imageFiles(tag);
  t.false(files.has('/run/secrets/token'), 'the mount point leaves no file (BuildKit leaves only the directory)');
  const history = await runCommand(dockerCli, ['history', '--no-trunc', tag]);
  t.false(history.stdout.includes(secret));
  const saved = await runCommand('sh', ['-c', `${dockerCli} save ${tag} | tar -xO | grep -c '${secret}' || true`]);
  t.is(saved.stdout.trim(), '0', 'not in any layer or config');
  for (const file of await allFiles(cacheDir)) t.false((await readFile(file, 'utf8')).includes(secret), file);
});

test('a required secret that was not given fails the step with a clear error', async (t) => {
  const context = await makeContext({
    Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=missing,required cat /run/secrets/missing\n',
  });
  cleanup.push(() => removeDir(context));
  await t.throwsAsync(build({ context, network: 'none', pull: 'never', cacheDir: context }), {
    message: /secret missing is required but was not given/,
  });
});

test('a cache mount keeps its contents from one build to the next, outside the image', async (t) => {
  const id = uniqueName('cache-mount');
  const context = await makeContext({
    Dockerfile: `FROM busybox\nRUN --mount=type=cache,id=${id},target=/cache sh -c 'echo run >> /cache/runs; wc -l < /cache/runs > /runs-seen'\n`,
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-cachemount-'));
  const tag = `${uniqueName('msbuild-cachemount')}:latest`;
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
    () => removeImages(tag),
    () => docker.getVolume(cacheVolumeName({ id } as never)).remove(),
  );
  await build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir });
  t.is((await runImage(tag, ['cat', '/runs-seen'])).trim(), '1');
  await build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir, noCache: true });
  t.is((await runImage(tag, ['cat', '/runs-seen'])).trim(), '2', 'the second build saw the first build’s file');
  t.false((await imageFiles(tag)).has('/cache/runs'), 'the cache is not in the layer');
});

test('bind mounts from the context and from a stage are read-only copies; tmpfs leaves nothing', async (t) => {
  const context = await makeContext({
    Dockerfile: [
      'FROM busybox AS tools',
      'RUN mkdir /tools && echo tool > /tools/t.txt',
      'FROM busybox',
      'RUN --mount=type=bind,source=data,target=/data --mount=type=bind,from=tools,source=/tools,target=/tools --mount=type=tmpfs,target=/scratch \\',
      '    cat /data/d.txt /tools/t.txt > /combined && echo x > /scratch/x && ! touch /data/new 2>/dev/null',
    ].join('\n'),
    'data/d.txt': 'data\n',
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-bind-'));
  const tag = `${uniqueName('msbuild-bind')}:latest`;
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
    () => removeImages(tag),
  );
  await build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir });
  t.is(await runImage(tag, ['cat', '/combined']), 'data\ntool\n');
  const files = await imageFiles(tag);
  t.false(files.has('/scratch/x'));
  t.false(files.has('/data/d.txt'));
});

/** Removes the volumes of cache `id` (and of the extra volumes private mounts made for it). */
function removeCacheVolumes(mount: Partial<RunMount> & { id: string }): () => Promise<unknown> {
  return () =>
    Promise.all(
      [0, 1, 2, 3].map((slot) =>
        docker
          .getVolume(cacheVolumeName(mount as RunMount, slot))
          .remove()
          .catch(() => undefined),
      ),
    );
}

test('a binary secret arrives byte for byte, in /run/secrets and at its own target', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-secret-bin-'));
  // Every byte value, and sequences that are not UTF-8 (a utf8 round trip would replace them).
  const bytes = Buffer.concat([
    Buffer.from([...Array(256).keys()]),
    Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80]),
    randomBytes(4096),
  ]);
  await writeFile(join(dir, 'bin.key'), bytes);
  const md5 = createHash('md5').update(bytes).digest('hex');
  const context = await makeContext({
    Dockerfile: [
      'FROM busybox',
      `RUN --mount=type=secret,id=bin test "$(md5sum < /run/secrets/bin | cut -c1-32)" = "${md5}" && test "$(wc -c < /run/secrets/bin)" -eq ${bytes.length} && echo ok > /in-run-secrets`,
      `RUN --mount=type=secret,id=bin,target=/keys/bin.key test "$(md5sum < /keys/bin.key | cut -c1-32)" = "${md5}" && echo ok > /at-target`,
    ].join('\n'),
  });
  const tag = `${uniqueName('msbuild-secret-bin')}:latest`;
  cleanup.push(
    () => removeDir(dir),
    () => removeDir(context),
    () => removeImages(tag),
  );
  await build({
    context,
    tags: [tag],
    network: 'none',
    pull: 'never',
    cacheDir: context,
    secrets: new Map([['bin', { file: join(dir, 'bin.key') }]]),
  });
  t.is(await runImage(tag, ['cat', '/in-run-secrets', '/at-target']), 'ok\nok\n');
});

/** Builds and counts the steps that ran and the steps that were cached. */
async function buildCounting(options: BuildOptions): Promise<{ run: number; cached: number }> {
  const result = await build({ network: 'none', pull: 'never', ...options });
  return { run: result.summary.stepsRun, cached: result.summary.stepsCached };
}

test('a context bind mount is in the key: content and mode changes re-run the step, touch does not', async (t) => {
  const context = await makeContext({
    Dockerfile:
      'FROM busybox\nRUN --mount=type=bind,source=f,target=/f --mount=type=bind,source=data,target=/data cat /f /data/d.txt > /out\n',
    f: 'one\n',
    'data/d.txt': 'data\n',
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-bindkey-'));
  const tag = `${uniqueName('msbuild-bindkey')}:latest`;
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
    () => removeImages(tag),
  );
  const options = { context, cacheDir, tags: [tag] };
  t.deepEqual(await buildCounting(options), { run: 1, cached: 0 });
  t.deepEqual(await buildCounting(options), { run: 0, cached: 1 });
  const later = new Date(Date.now() + 60_000);
  await utimes(join(context, 'f'), later, later);
  t.deepEqual(await buildCounting(options), { run: 0, cached: 1 }, 'touch keeps the cache, as for COPY');
  await writeFile(join(context, 'f'), 'two\n');
  t.deepEqual(await buildCounting(options), { run: 1, cached: 0 }, 'BuildKit re-runs when a mounted file changes');
  t.is(await runImage(tag, ['cat', '/out']), 'two\ndata\n');
  await chmod(join(context, 'data/d.txt'), 0o600);
  t.deepEqual(await buildCounting(options), { run: 1, cached: 0 }, 'chmod breaks it');
  // cache explain names the mounted file that changed.
  await writeFile(join(context, 'data/d.txt'), 'changed\n');
  const events: BuildEvent[] = [];
  await build({ context, cacheDir, network: 'none', pull: 'never', dryRun: true, onEvent: (e) => events.push(e) });
  const reasons = events.flatMap((e) => (e.type === 'cache-miss' ? e.reasons : []));
  t.true(reasons.includes('file data/d.txt changed'), reasons.join('; '));
});

test('a bind mount from a stage keys on the mounted content; from an image on that image', async (t) => {
  const imageTag = `${uniqueName('msbuild-bindfrom-image')}:latest`;
  const makeImage = async (value: string) => {
    const dir = await makeContext({ Dockerfile: `FROM busybox\nRUN echo ${value} > /v\n` });
    cleanup.push(() => removeDir(dir));
    await build({ context: dir, tags: [imageTag], network: 'none', pull: 'never', cacheDir: dir });
  };
  await makeImage('image-1');
  const context = await makeContext({
    Dockerfile: [
      'FROM busybox AS tools',
      'ARG TOOL=tool-1',
      'ARG NOISE=a',
      'RUN echo $TOOL > /t && echo $NOISE > /noise',
      'FROM busybox',
      `RUN --mount=type=bind,from=tools,source=/t,target=/t --mount=type=bind,from=${imageTag},source=/v,target=/v cat /t /v > /out`,
    ].join('\n'),
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-bindfrom-'));
  const tag = `${uniqueName('msbuild-bindfrom')}:latest`;
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
    () => removeImages(tag, imageTag),
  );
  const options = (buildArgs: Record<string, string>) => ({ context, cacheDir, tags: [tag], buildArgs });
  t.deepEqual(await buildCounting(options({})), { run: 2, cached: 0 });
  t.deepEqual(await buildCounting(options({})), { run: 0, cached: 2 });
  t.deepEqual(
    await buildCounting(options({ TOOL: 'tool-2' })),
    { run: 2, cached: 0 },
    'the mounted stage file changed',
  );
  t.is(await runImage(tag, ['cat', '/out']), 'tool-2\nimage-1\n');
  t.deepEqual(
    await buildCounting(options({ TOOL: 'tool-2', NOISE: 'b' })),
    { run: 1, cached: 1 },
    'the stage re-ran, but what is mounted is the same',
  );
  await makeImage('image-2');
  t.deepEqual(
    await buildCounting(options({ TOOL: 'tool-2', NOISE: 'b' })),
    { run: 1, cached: 1 },
    'the mounted image changed',
  );
  t.is(await runImage(tag, ['cat', '/out']), 'tool-2\nimage-2\n');
});

test('a new cache mount with uid/gid/mode has its root owned and moded so (default root 0755), and starts empty', async (t) => {
  const id = uniqueName('cache-owner');
  const context = await makeContext({
    Dockerfile: [
      'FROM busybox',
      'USER 1000:1000',
      `RUN --mount=type=cache,id=${id},target=/c,uid=1000,gid=1000,mode=0750 stat -c '%u %g %a' /c > /tmp/owned && touch /c/written-by-1000`,
      'USER 0',
      `RUN --mount=type=cache,id=${id}-plain,target=/etc stat -c '%u %g %a' /etc > /tmp/plain && ! test -e /etc/passwd`,
      `RUN --mount=type=cache,id=${id}-uid,target=/d,uid=5 stat -c '%u %g %a' /d > /tmp/uid-only`,
    ].join('\n'),
  });
  const tag = `${uniqueName('msbuild-cache-owner')}:latest`;
  cleanup.push(
    () => removeDir(context),
    () => removeImages(tag),
  );
  cleanup.push(
    removeCacheVolumes({ id, uid: 1000, gid: 1000, mode: 0o750 }),
    removeCacheVolumes({ id: `${id}-plain` }),
    removeCacheVolumes({ id: `${id}-uid`, uid: 5 }),
  );
  await build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir: context });
  // As BuildKit on this daemon: `1000 1000 750`, `0 0 755` (not the image's /etc), `5 0 755`.
  t.is(await runImage(tag, ['cat', '/tmp/owned', '/tmp/plain', '/tmp/uid-only']), '1000 1000 750\n0 0 755\n5 0 755\n');
});

/** A RUN that fails if another RUN holds cache `id` at the same time (a marker directory only one can make). */
function exclusiveRun(id: string, sharing: string, name: string): string {
  return `RUN --mount=type=cache,id=${id},target=/c,sharing=${sharing} sh -c 'mkdir /c/busy || { echo overlap; exit 1; }; sleep 1; rmdir /c/busy; echo ${name} > /done'`;
}

test('sharing=locked: parallel stages take the cache in turn', async (t) => {
  const id = uniqueName('cache-locked');
  const context = await makeContext({
    Dockerfile: [
      'FROM busybox AS a',
      exclusiveRun(id, 'locked', 'a'),
      'FROM busybox AS b',
      exclusiveRun(id, 'locked', 'b'),
      'FROM busybox AS c',
      exclusiveRun(id, 'locked', 'c'),
      'FROM scratch',
      'COPY --from=a /done /a',
      'COPY --from=b /done /b',
      'COPY --from=c /done /c',
    ].join('\n'),
  });
  cleanup.push(() => removeDir(context), removeCacheVolumes({ id }));
  const result = await build({ context, network: 'none', pull: 'never', cacheDir: context, jobs: 3 });
  t.is(result.summary.stepsRun, 6);
});

test('sharing=locked also holds across msbuild processes on one cache directory', async (t) => {
  const id = uniqueName('cache-locked-processes');
  const context = await makeContext({ Dockerfile: `FROM busybox\nARG WHO\n${exclusiveRun(id, 'locked', '$WHO')}\n` });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-locked-'));
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
    removeCacheVolumes({ id }),
  );
  const builds = ['one', 'two', 'three'].map((who) =>
    startMsbuild([
      'build',
      '--progress',
      'plain',
      '--network',
      'none',
      '--pull',
      'never',
      '--no-cache',
      '--cache-dir',
      cacheDir,
      '--build-arg',
      `WHO=${who}`,
      context,
    ]),
  );
  const codes = await Promise.all(builds.map((b) => b.exit));
  t.deepEqual(codes, [0, 0, 0], builds.map((b) => b.output()).join('\n'));
  t.deepEqual(await readdir(join(cacheDir, 'cache-mount-locks')), [], 'no lock file left');
});

test('sharing=private: concurrent RUNs each get a volume of their own', async (t) => {
  const id = uniqueName('cache-private');
  const meet = uniqueName('cache-meet');
  // Each RUN waits (through a shared cache) until the other is running too, then checks that its
  // private cache holds only its own marker.
  const run = (mine: string, theirs: string) =>
    `RUN --mount=type=cache,id=${id},target=/p,sharing=private --mount=type=cache,id=${meet},target=/meet sh -c '` +
    `touch /p/${mine} /meet/${mine}; i=0; while [ ! -f /meet/${theirs} ]; do i=$((i+1)); [ $i -gt 150 ] && exit 2; sleep 0.2; done; ` +
    `ls /p > /seen; rm /p/${mine}'`;
  const context = await makeContext({
    Dockerfile: [
      'FROM busybox AS a',
      run('a', 'b'),
      'FROM busybox AS b',
      run('b', 'a'),
      'FROM busybox',
      'COPY --from=a /seen /seen-a',
      'COPY --from=b /seen /seen-b',
    ].join('\n'),
  });
  const tag = `${uniqueName('msbuild-private')}:latest`;
  cleanup.push(
    () => removeDir(context),
    () => removeImages(tag),
    removeCacheVolumes({ id }),
    removeCacheVolumes({ id: meet }),
  );
  await build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir: context, jobs: 2 });
  t.is(await runImage(tag, ['cat', '/seen-a']), 'a\n', 'stage a saw only its own marker');
  t.is(await runImage(tag, ['cat', '/seen-b']), 'b\n', 'stage b saw only its own marker');
});
