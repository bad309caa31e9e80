// Unit: the cache index on disk — list() skips files that are not whole entries (a build treats them
// as misses), verify() reports them, and `cache ls` warns about them; entries are scoped by daemon.
import test from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore, scopeName, type CacheEntry } from '../../engine/cache/store.js';
import { msbuild } from '../support/cli.js';

const key = `sha256:${'ab'.repeat(32)}`;
const entry: CacheEntry = {
  key,
  imageId: `sha256:${'cd'.repeat(32)}`,
  config: {
    architecture: 'amd64',
    os: 'linux',
    created: new Date(0).toISOString(),
    config: {},
    history: [],
    rootfs: { type: 'layers', diff_ids: [] },
  },
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
    t.deepEqual(
      (await store.list()).map((e) => e.key),
      [key],
    );
    const { entries, broken } = await store.verify();
    t.deepEqual(
      entries.map((e) => e.key),
      [key],
    );
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

test('entries are scoped by daemon: one daemon never reads, adopts or deletes another’s; entries of before scoping are read by all, adopted on a hit and never deleted by a look-up', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-unit-store-'));
  try {
    // Engine 20.10 takes its ID from /etc/docker/key.json: two daemons on one host share it, not their data root.
    t.not(scopeName('AAAA:BBBB@/var/lib/docker'), scopeName('AAAA:BBBB@/tmp/other/data'));
    t.regex(scopeName(`AAAA@/${'x'.repeat(300)}`), /^[A-Za-z0-9._-]{1,120}$/);
    const one = new CacheStore(dir, { daemon: async () => 'AAAA:BBBB@/var/lib/docker' });
    const two = new CacheStore(dir, { daemon: async () => 'CCCC:DDDD@/var/lib/docker' });
    await one.put(entry);
    t.truthy(await one.get(key));
    t.is(await two.get(key), undefined, "another daemon's entry is not this daemon's");
    await two.remove(key);
    t.truthy(await one.get(key), 'a stale look-up on another daemon removes nothing of this one');
    t.deepEqual(
      (await one.list()).map((e) => [e.key, e.daemon]),
      [[key, 'AAAA-BBBB--var-lib-docker']],
    );
    t.deepEqual(await two.list(), []);

    // An entry written before scoping (the top-level layout).
    const oldKey = `sha256:${'12'.repeat(32)}`;
    await new CacheStore(dir).put({ ...entry, key: oldKey });
    t.truthy(await two.get(oldKey), 'both daemons read it');
    await two.remove(oldKey);
    t.truthy(await one.get(oldKey), 'a look-up that found its image missing does not delete it');
    await two.touch(oldKey);
    t.deepEqual(
      (await two.list()).map((e) => [e.key, e.daemon]),
      [[oldKey, 'CCCC-DDDD--var-lib-docker']],
      'a hit copies it into the scope of the daemon that has its image',
    );
    t.true(
      (await one.list()).some((e) => e.key === oldKey && e.daemon === undefined),
      'the original stays',
    );
    t.deepEqual(
      (await new CacheStore(dir).list()).map((e) => e.daemon ?? '(before scoping)').sort(),
      ['(before scoping)', 'AAAA-BBBB--var-lib-docker', 'CCCC-DDDD--var-lib-docker'],
      'an unscoped store (cache ls) lists every daemon’s entries',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
