// Integration: inline cache end to end (Debian's docker-registry on loopback). A build with
// `--cache-to type=inline` and `--push` puts the cache into the pushed image's config; with the image,
// its steps' images and the cache dir gone from this machine, a build given the bare image as
// `--cache-from REF` (which the daemon then lacks, so it is read from its registry) gets every step
// from that cache, fetching the image's layers. The same through the CLI's `--cache-from REF`.
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeCachedImages } from '../support/cache-index.js';
import { msbuild } from '../support/cli.js';
import { docker, madeByThisFile, makeContext, removeDir, removeImages, uniqueName } from '../support/docker.js';
import { runBuild } from '../support/registry-cache.js';
import { TestRegistry } from '../support/registry.js';

const made = madeByThisFile();
let registry: TestRegistry;
const cacheDirs: string[] = [];

test.before(async () => {
  registry = await TestRegistry.start();
});
test.after.always(async () => {
  await registry?.stop();
  for (const dir of cacheDirs) {
    await removeCachedImages(dir);
    await removeDir(dir);
  }
});

async function freshCacheDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-inline-cache-'));
  cacheDirs.push(dir);
  return dir;
}

const inDaemon = (ref: string) =>
  docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );

/** Builds and pushes `ref` with an inline cache, then leaves this machine without it or its cache. */
async function pushWithInlineCache(ref: string): Promise<string> {
  const context = await makeContext({
    Dockerfile: 'FROM busybox\nRUN echo inline > /inline\nCOPY note /note\nRUN cat /inline /note > /both\n',
    note: `${uniqueName('inline')}\n`,
  });
  made.cleanup.push(context);
  const cacheDir = await freshCacheDir();
  const first = await runBuild({ context, cacheDir, tags: [ref], push: true, inlineCache: true });
  if (first.ran.length !== 3) throw new Error(`the first build ran ${first.ran.join(', ')}`);
  await removeImages(ref, first.imageId);
  await removeCachedImages(cacheDir);
  await removeDir(cacheDir);
  if (await inDaemon(ref)) throw new Error(`${ref} is still in the daemon`);
  return context;
}

test('--cache-to type=inline + --push; a cold machine given --cache-from IMAGE reads it from the registry: all hits', async (t) => {
  const ref = registry.ref(`${uniqueName('inline')}:1`);
  made.tags.push(ref);
  const context = await pushWithInlineCache(ref);

  const second = await runBuild({ context, cacheDir: await freshCacheDir(), cacheFromImages: [ref] });
  const warnings = second.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
  t.deepEqual(warnings, [], 'the image’s cache was read');
  t.deepEqual(second.imported, [4], 'three steps and the stage result, from the image’s config');
  t.deepEqual(second.ran, [], 'every step a hit');
  t.is(second.cached.length, 3);
  t.true(second.fetched > 0, 'the image’s layers came from the registry');
  made.tags.push(second.imageId);
  const info = await docker.getImage(second.imageId).inspect();
  t.is(info.RootFS.Layers?.length, ((await docker.getImage('busybox').inspect()).RootFS.Layers?.length ?? 0) + 3);
});

test('the CLI: --cache-to type=inline --push, then --cache-from REF on a cold cache dir: 0 steps run', async (t) => {
  const ref = registry.ref(`${uniqueName('inline-cli')}:1`);
  made.tags.push(ref);
  const context = await pushWithInlineCache(ref);
  const cacheDir = await freshCacheDir();
  const result = await msbuild([
    'build',
    '--progress',
    'plain',
    '--network',
    'none',
    '--cache-dir',
    cacheDir,
    '--cache-from',
    ref,
    context,
  ]);
  t.is(result.code, 0, result.stderr);
  made.tags.push(result.stdout.trim());
  const quoted = ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  t.regex(result.stderr, new RegExp(`#0 cache-import ${quoted}: 4 entries \\(inline\\)`));
  t.regex(result.stderr, new RegExp(`#0 cache-import ${quoted}: \\w+ fetched`));
  t.is((result.stderr.match(/CACHED/g) ?? []).length, 3, result.stderr);
  t.notRegex(result.stderr, /warning/i);
});
