// Integration: RUN mounts — a secret is visible to its step only and never in history, layers or the
// cache index; a cache mount persists between builds; tmpfs and bind mounts leave no trace.
import test from 'ava';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import { cacheVolumeName } from '../../engine/steps/mounts.js';
import { docker, dockerCli, imageFiles, makeContext, removeDir, removeImages, requireDaemon, runCommand, runImage, uniqueName } from '../support/docker.js';

const cleanup: Array<() => Promise<unknown>> = [];
test.before(requireDaemon);
test.after.always(async () => {
  for (const step of cleanup) await step().catch(() => undefined);
});

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

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
  cleanup.push(() => removeDir(dir), () => removeDir(context), () => removeDir(cacheDir), () => removeImages(tag));
  await build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir, secrets: new Map([['token', { file: secretFile }]]) });
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
  const context = await makeContext({ Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=missing,required cat /run/secrets/missing\n' });
  cleanup.push(() => removeDir(context));
  await t.throwsAsync(build({ context, network: 'none', pull: 'never', cacheDir: context }), { message: /secret missing is required but was not given/ });
});

test('a cache mount keeps its contents from one build to the next, outside the image', async (t) => {
  const id = uniqueName('cache-mount');
  const context = await makeContext({
    Dockerfile: `FROM busybox\nRUN --mount=type=cache,id=${id},target=/cache sh -c 'echo run >> /cache/runs; wc -l < /cache/runs > /runs-seen'\n`,
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-cachemount-'));
  const tag = `${uniqueName('msbuild-cachemount')}:latest`;
  cleanup.push(() => removeDir(context), () => removeDir(cacheDir), () => removeImages(tag), () => docker.getVolume(cacheVolumeName({ id } as never)).remove());
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
  cleanup.push(() => removeDir(context), () => removeDir(cacheDir), () => removeImages(tag));
  await build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir });
  t.is(await runImage(tag, ['cat', '/combined']), 'data\ntool\n');
  const files = await imageFiles(tag);
  t.false(files.has('/scratch/x'));
  t.false(files.has('/data/d.txt'));
});
