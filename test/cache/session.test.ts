// Unit: one cache session per process — the memos are read once and saved once with what every build
// of the session added (two bake targets no longer overwrite each other's file digests), and each
// build settles only its own entries waiting for an image.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheSession } from '../../engine/cache/session.js';
import { CacheStore, type CacheEntry } from '../../engine/cache/store.js';
import { emptyImageConfig } from '../../engine/image/config.js';
import { fakeImages } from '../support/fake-solver.js';

async function tempStore(t: { teardown(fn: () => Promise<void>): void }): Promise<CacheStore> {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-session-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return new CacheStore(dir);
}

test('two builds of one session: the saved memos hold what both added', async (t) => {
  const store = await tempStore(t);
  await store.writeJson('file-digests.json', { old: 'sha256:0' });
  const session = new CacheSession(store);
  await Promise.all([session.load(), session.load()]);
  // Two targets digesting their own files while both run.
  session.fileMemo.set('target-a-file', 'sha256:a');
  session.fileMemo.set('target-b-file', 'sha256:b');
  session.imageDigests.set('from-a', 'sha256:fa');
  await session.save();
  t.deepEqual(await store.readJson('file-digests.json'), {
    old: 'sha256:0',
    'target-a-file': 'sha256:a',
    'target-b-file': 'sha256:b',
  });
  t.deepEqual(await store.readJson('from-digests.json'), { 'from-a': 'sha256:fa' });
});

test('separate sessions per target (the old shape) lose what the first one saved', async (t) => {
  const store = await tempStore(t);
  const a = new CacheSession(store);
  const b = new CacheSession(store);
  await Promise.all([a.load(), b.load()]);
  a.fileMemo.set('target-a-file', 'sha256:a');
  b.fileMemo.set('target-b-file', 'sha256:b');
  await a.save();
  await b.save();
  t.deepEqual(await store.readJson('file-digests.json'), { 'target-b-file': 'sha256:b' });
});

test('a session that changed nothing writes nothing', async (t) => {
  const store = await tempStore(t);
  const session = new CacheSession(store);
  await session.load();
  t.is(session.fileMemo.get('missing'), undefined);
  await session.save();
  t.is(await store.readJson('file-digests.json'), undefined);
});

test('pending entries: written once their image is loaded; each build settles only its own', async (t) => {
  const store = await tempStore(t);
  const session = new CacheSession(store);
  const entry = (key: string): CacheEntry => ({
    key,
    imageId: '',
    config: emptyImageConfig({ os: 'linux', architecture: 'amd64' }),
    stage: 's',
    step: 'COPY a /a',
    seconds: 0,
    layerSize: 0,
    created: new Date(0).toISOString(),
  });
  const image = `sha256:${'1'.repeat(64)}`;
  session.addPending('build-1', image, entry(`sha256:${'a'.repeat(64)}`));
  session.addPending('build-2', `sha256:${'2'.repeat(64)}`, entry(`sha256:${'b'.repeat(64)}`));
  // build-2 is stopped: its entries go, build-1's wait.
  await session.settle('build-2', fakeImages(), true);
  t.is(await store.get(`sha256:${'b'.repeat(64)}`), undefined);
  await session.recordLoaded([image]);
  t.truthy(await store.get(`sha256:${'a'.repeat(64)}`));
});
