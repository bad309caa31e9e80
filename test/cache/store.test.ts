// Unit: the cache index on disk — list() skips files that are not whole entries (a build treats them
// as misses), verify() reports them, and `cache ls` warns about them.
import test from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore, type CacheEntry } from '../../engine/cache/store.js';
import { msbuild } from '../support/cli.js';

const key = `sha256:${'ab'.repeat(32)}`;
const entry: CacheEntry = {
  key,
  imageId: `sha256:${'cd'.repeat(32)}`,
  config: { architecture: 'amd64', os: 'linux', created: new Date(0).toISOString(), config: {}, history: [], rootfs: { type: 'layers', diff_ids: [] } },
  stage: 'stage-0',
  step: 'COPY a /a',
  seconds: 1,
  layerSize: 1,
  created: new Date(0).toISOString(),
};

test('broken files are skipped by list() and reported by verify() and cache ls', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-unit-store-'));
  try {
    const store = new CacheStore(dir);
    await store.put(entry);
    const shard = join(dir, 'entries', 'ef');
    await mkdir(shard, { recursive: true });
    await writeFile(join(shard, `${'ef'.repeat(32)}.json`), '{"key": "sha256:ef');
    await writeFile(join(shard, `${'ee'.repeat(32)}.json`), JSON.stringify({ ...entry }));
    t.deepEqual((await store.list()).map((e) => e.key), [key]);
    const { entries, broken } = await store.verify();
    t.deepEqual(entries.map((e) => e.key), [key]);
    t.deepEqual(broken.map((b) => b.path.slice(-13)).sort(), [`${'ee'.repeat(4)}.json`, `${'ef'.repeat(4)}.json`]);
    t.true(broken.some((b) => /does not match the file name/.test(b.problem)));
    const ls = await msbuild(['cache', '--cache-dir', dir, 'ls']);
    t.is(ls.code, 0, ls.stderr);
    t.is(ls.stderr.trim().split('\n').length, 2, ls.stderr);
    t.regex(ls.stderr, /warning: \S+ef\.json is not a usable cache entry/);
    t.regex(ls.stdout, /COPY a \/a/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
