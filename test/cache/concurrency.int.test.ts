// Integration: msbuild processes building at once against one cache directory (parallel CI jobs on
// one machine) all succeed and leave an index where every entry is whole and usable.
import test from 'ava';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CacheStore } from '../../engine/cache/store.js';
import { assertIndexValid } from '../support/cache-index.js';
import { msbuild } from '../support/cli.js';
import { madeByThisFile, makeContext, uniqueName } from '../support/docker.js';

const { cleanup, tags } = madeByThisFile();

test('four processes (two the same Dockerfile, two different) share one cache dir; the index stays intact', async (t) => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-shared-cache-'));
  const same = await makeContext({
    Dockerfile: 'FROM busybox\nCOPY a /a\nRUN sleep 1 && cat /a > /b\nENV X=1\n',
    a: 'same\n',
  });
  const other = await makeContext({ Dockerfile: 'FROM busybox\nRUN echo other > /o\nCOPY b /b\n', b: 'other\n' });
  const third = await makeContext({
    Dockerfile: 'FROM busybox AS s\nRUN echo s > /s\nFROM scratch\nCOPY --from=s /s /s\n',
  });
  cleanup.push(cacheDir, same, other, third);
  const runs = [same, same, other, third].map((context) => {
    const tag = `${uniqueName('msbuild-conc')}:latest`;
    tags.push(tag);
    return msbuild([
      'build',
      '--progress',
      'quiet',
      '--network',
      'none',
      '--pull',
      'never',
      '--cache-dir',
      cacheDir,
      '-t',
      tag,
      context,
    ]);
  });
  const results = await Promise.all(runs);
  for (const result of results) t.is(result.code, 0, result.stderr);
  // Every entry file parses and points at an image the daemon has; no temporary files are left.
  const store = new CacheStore(cacheDir);
  const entries = await store.list();
  t.true(entries.length >= 6);
  await assertIndexValid(t, cacheDir);
  const shards = new Set(entries.map((entry) => dirname(entry.path)));
  for (const shard of shards) {
    for (const name of await readdir(shard)) {
      t.regex(name, /^[0-9a-f]{64}\.json$/, 'no half-written (.tmp) files');
      JSON.parse(await readFile(join(shard, name), 'utf8'));
    }
  }
  // A rebuild of each is fully cached.
  const again = await msbuild([
    'build',
    '--progress',
    'plain',
    '--network',
    'none',
    '--pull',
    'never',
    '--cache-dir',
    cacheDir,
    same,
  ]);
  t.is(again.code, 0);
  t.regex(again.stderr, /steps: 0 run, 2 cached/);
});
