// Integration: `cache export --mounts` and `cache import --mounts` carry RUN --mount=type=cache
// contents to another daemon (moby/buildkit#1474): the volume (the OCI worker's dir) removed here
// stands for a new machine.
import test from 'ava';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { msbuild } from '../support/cli.js';
import { dockerCli, madeByThisFile, makeContext, runCommand, uniqueName } from '../support/docker.js';
import { testWorker } from '../support/steps.js';

const { cleanup } = madeByThisFile();

test('a cache mount exported, its volume removed, imported: the next RUN finds its files', async (t) => {
  const id = uniqueName('msbuild-mount');
  const context = await makeContext({
    'write.Dockerfile': `FROM busybox\nRUN --mount=type=cache,id=${id},target=/cache echo carried > /cache/file && mkdir -p /cache/d && echo deep > /cache/d/x\n`,
    'read.Dockerfile': `FROM busybox\nRUN --mount=type=cache,id=${id},target=/cache cat /cache/file /cache/d/x\n`,
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-mounts-cache-'));
  const exported = await mkdtemp(join(tmpdir(), 'msbuild-mounts-export-'));
  cleanup.push(context, cacheDir, exported);
  const common = ['--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, '--no-cache'];
  t.is((await msbuild(['build', ...common, '-q', '-f', join(context, 'write.Dockerfile'), context])).code, 0);
  // The Docker worker's cache is a volume; the OCI worker's a dir of the same name in its state.
  const ociMounts = join(cacheDir, 'oci', 'cache-mounts');
  const volumes =
    (await testWorker()) === 'oci'
      ? (await readdir(ociMounts)).filter((name) => /^msbuild-cache-[0-9a-f]+$/.test(name))
      : (await runCommand(dockerCli, ['volume', 'ls', '-q', '--filter', `label=io.msbuild.cache-mount=${id}`])).stdout
          .trim()
          .split('\n')
          .filter(Boolean);
  t.is(volumes.length, 1);
  const removeMount = async () => {
    await rm(join(ociMounts, volumes[0]), { recursive: true, force: true });
    await runCommand(dockerCli, ['volume', 'rm', '-f', volumes[0]]);
  };
  try {
    const out = await msbuild(['cache', '--cache-dir', cacheDir, 'export', '--dest', exported, '--mounts']);
    t.is(out.code, 0, out.stderr);
    t.regex(out.stdout, /exported \d+ cache mount\(s\)/);
    t.true((await readdir(join(exported, 'mounts'))).includes(`${volumes[0]}.tar`));
    await removeMount();
    const imported = await msbuild(['cache', '--cache-dir', cacheDir, 'import', '--src', exported, '--mounts']);
    t.is(imported.code, 0, imported.stderr);
    const read = await msbuild([
      'build',
      ...common,
      '--progress',
      'plain',
      '-f',
      join(context, 'read.Dockerfile'),
      context,
    ]);
    t.is(read.code, 0, read.stderr);
    t.regex(read.stderr, /carried\n#\d+ [\d.]+ deep/);
  } finally {
    await removeMount();
  }
  const none = await msbuild(['cache', 'import', '--src', context, '--mounts']);
  t.regex(none.stderr, /no cache export in|no cache mounts in/);
});
