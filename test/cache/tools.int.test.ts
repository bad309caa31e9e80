// Integration: the cache tools — ls, du, prune by age and size, export and import between two cache
// directories (standing in for two CI machines), --no-cache-filter, and the reasons misses give when nothing of the step changed.
import test from 'ava';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import { CacheStore } from '../../engine/cache/store.js';
import { imageExists } from '../../engine/docker/images.js';
import { assertIndexValid } from '../support/cache-index.js';
import { msbuild } from '../support/cli.js';
import {
  docker,
  dockerCli,
  makeContext,
  removeDir,
  removeImages,
  requireDaemon,
  runCommand,
  uniqueName,
} from '../support/docker.js';

const cleanup: string[] = [];
const tags: string[] = [];
test.before(requireDaemon);
test.after.always(async () => {
  await removeImages(...tags);
  for (const dir of cleanup) await removeDir(dir);
});

async function builtCache(dockerfile: string, files: Record<string, string> = {}) {
  const context = await makeContext({ Dockerfile: dockerfile, ...files });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-tools-'));
  cleanup.push(context, cacheDir);
  await build({ context, network: 'none', pull: 'never', cacheDir });
  return { context, cacheDir };
}

test('cache ls and du show the entries, their steps, stages and sizes', async (t) => {
  const { cacheDir } = await builtCache(
    'FROM busybox AS one\nRUN head -c 100000 /dev/zero > /blob\nFROM one\nCOPY f /f\n',
    { f: 'x' },
  );
  const ls = await msbuild(['cache', '--cache-dir', cacheDir, 'ls']);
  t.is(ls.code, 0, ls.stderr);
  t.regex(ls.stdout, /^KEY +STAGE +STEP +SIZE +RUN TIME +LAST USED/);
  t.regex(ls.stdout, /one +RUN head -c 100000 \/dev\/zero > \/blob +100 kB/);
  const json = JSON.parse((await msbuild(['cache', '--cache-dir', cacheDir, 'ls', '--json'])).stdout);
  t.true(json.some((row: { step: string }) => row.step === 'COPY f /f'));
  const du = await msbuild(['cache', '--cache-dir', cacheDir, 'du']);
  t.regex(du.stdout, /entries: \d+\nlayers: \d/);
});

test('cache prune by age, by size and all', async (t) => {
  const { cacheDir } = await builtCache(
    'FROM busybox\nRUN echo a > /a\nRUN echo b > /b\nRUN head -c 50000 /dev/zero > /c\n',
  );
  const store = new CacheStore(cacheDir);
  const entries = await store.list();
  t.true(entries.length >= 3);
  // Make the first step look two days old.
  const old = entries.find((e) => e.step.startsWith('RUN echo a'));
  const longAgo = new Date(Date.now() - 48 * 3600 * 1000);
  await utimes(old!.path, longAgo, longAgo);
  const byAge = await msbuild(['cache', '--cache-dir', cacheDir, 'prune', '--filter', 'until=24h']);
  t.regex(byAge.stdout, /removed 1 entries/);
  t.false((await store.list()).some((e) => e.key === old!.key));
  const bySize = await msbuild(['cache', '--cache-dir', cacheDir, 'prune', '--keep-storage', '1kB']);
  t.regex(bySize.stdout, /removed [1-9]\d* entries/);
  t.true((await store.list()).reduce((sum, e) => sum + e.layerSize, 0) <= 1000);
  const nothing = await msbuild(['cache', '--cache-dir', cacheDir, 'prune']);
  t.is(nothing.code, 1, 'prune needs a criterion');
  await msbuild(['cache', '--cache-dir', cacheDir, 'prune', '--all']);
  t.deepEqual(await store.list(), []);
});

test('cache prune never removes an image the user tagged, and keeps its entry; untagged cache images go', async (t) => {
  const context = await makeContext({ Dockerfile: 'FROM busybox\nRUN echo keepme > /k\nRUN echo more > /m\n' });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-tools-'));
  cleanup.push(context, cacheDir);
  const tag = `${uniqueName('msbuild-prune')}:v1`;
  tags.push(tag);
  const built = await build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir });
  const store = new CacheStore(cacheDir);
  const before = await store.list();
  const intermediate = before.find((e) => e.step.startsWith('RUN echo keepme'));
  if (!intermediate) return t.fail('no entry for the first RUN');
  t.not(intermediate.imageId, built.imageId);
  const longAgo = new Date(Date.now() - 48 * 3600 * 1000);
  for (const criterion of [['--filter', 'until=1h'], ['--keep-storage', '0'], ['--all']]) {
    // Every entry looks unused for two days, so each criterion selects all of them.
    for (const entry of await store.list()) await utimes(entry.path, longAgo, longAgo);
    const pruned = await msbuild(['cache', '--cache-dir', cacheDir, 'prune', ...criterion]);
    t.is(pruned.code, 0, pruned.stderr);
    const inspected = await runCommand(dockerCli, ['image', 'inspect', '--format', '{{.Id}}', tag]);
    t.is(inspected.code, 0, `${criterion.join(' ')} removed the tagged image: ${inspected.stderr}`);
    t.is(inspected.stdout.trim(), built.imageId);
    const kept = await store.list();
    t.true(
      kept.some((e) => e.imageId === built.imageId),
      `${criterion.join(' ')}: the entry of the tagged image stays`,
    );
    t.regex(pruned.stdout, /kept \d+ .*tagged/);
  }
  t.false(await imageExists(docker, intermediate.imageId), 'the untagged image of an intermediate step went');
  await assertIndexValid(t, cacheDir);
});

test('export to a directory and import into another cache: the second machine hits', async (t) => {
  const { context, cacheDir } = await builtCache('FROM busybox\nCOPY f /f\nRUN cat /f > /g\n', { f: 'shared' });
  const shared = await mkdtemp(join(tmpdir(), 'msbuild-shared-'));
  const other = await mkdtemp(join(tmpdir(), 'msbuild-other-'));
  cleanup.push(shared, other);
  const exported = await msbuild(['cache', '--cache-dir', cacheDir, 'export', '--dest', shared]);
  t.is(exported.code, 0, exported.stderr);
  t.regex(exported.stdout, /exported \d+ entries/);
  const blobs = await readdir(join(shared, 'blobs/sha256'));
  t.true(blobs.length > 0);
  // Exporting again writes no layer twice and keeps the directory the same size.
  await msbuild(['cache', '--cache-dir', cacheDir, 'export', '--dest', shared]);
  t.deepEqual((await readdir(join(shared, 'blobs/sha256'))).sort(), blobs.sort());
  const build2 = await msbuild([
    'build',
    '--progress',
    'plain',
    '--network',
    'none',
    '--pull',
    'never',
    '--cache-dir',
    other,
    '--cache-from',
    `type=local,src=${shared}`,
    context,
  ]);
  t.is(build2.code, 0, build2.stderr);
  t.regex(build2.stderr, /steps: 0 run, 2 cached/);
});

test('--no-cache-filter reruns only the named stages', async (t) => {
  const { context, cacheDir } = await builtCache(
    'FROM busybox AS a\nRUN echo a > /a\nFROM busybox AS b\nRUN echo b > /b\nFROM scratch\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n',
  );
  const result = await msbuild([
    'build',
    '--progress',
    'plain',
    '--network',
    'none',
    '--pull',
    'never',
    '--cache-dir',
    cacheDir,
    '--no-cache-filter',
    'b',
    context,
  ]);
  t.is(result.code, 0, result.stderr);
  // Plain output interleaves parallel stages: follow each step by its number.
  const outcome = (title: string) => {
    const id = new RegExp(`#(\\d+) \\[${title}`).exec(result.stderr)?.[1];
    return new RegExp(`#${id} (CACHED|DONE)`).exec(result.stderr)?.[1];
  };
  t.is(outcome('a 2/2'), 'CACHED');
  t.is(outcome('b 2/2'), 'DONE');
  t.regex(result.stderr, /steps: 1 run, 3 cached/);
});

test('a miss names --no-cache, --no-cache-filter, a pruned entry or a removed image when nothing of the step changed', async (t) => {
  const { context, cacheDir } = await builtCache(
    'FROM busybox AS a\nRUN echo a > /a\nFROM busybox AS b\nRUN echo b > /b\n',
  );
  const missReasons = async (options: string[]) => {
    const result = await msbuild([
      'build',
      '--progress',
      'json',
      '--network',
      'none',
      '--pull',
      'never',
      '--cache-dir',
      cacheDir,
      ...options,
      context,
    ]);
    t.is(result.code, 0, result.stderr);
    return result.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { type: string; reasons?: string[] })
      .filter((event) => event.type === 'cache-miss')
      .map((event) => event.reasons);
  };
  t.deepEqual(await missReasons(['--no-cache']), [['--no-cache: every step runs']]);
  t.deepEqual(await missReasons(['--no-cache-filter', 'b']), [['--no-cache-filter names stage b']]);
  // Nothing of the step changed, but its entry or its image is gone: the miss says which.
  t.is((await msbuild(['cache', '--cache-dir', cacheDir, 'prune', '--all'])).code, 0);
  t.deepEqual(await missReasons([]), [
    ['its cache entry is gone: pruned, or the build that ran it last did not finish'],
  ]);
  // The RUN's entry points at its committed image (the stage's image is loaded with its own config),
  // or on the OCI worker at its snapshot.
  const run = (await new CacheStore(cacheDir).list()).find((entry) => entry.step.startsWith('RUN'));
  if (!run) return t.fail('no cache entry for the RUN step');
  if (run.imageId.startsWith('oci:')) {
    await rm(join(cacheDir, 'oci', 'snapshots', run.imageId.slice(4)), { recursive: true, force: true });
    t.deepEqual(await missReasons([]), [
      ['the cached snapshot was removed from the OCI worker’s state (pruned for space, or deleted)'],
    ]);
    return;
  }
  await docker.getImage(run.imageId).remove({ force: true });
  t.deepEqual(await missReasons([]), [['the cached image was removed from the daemon']]);
});
