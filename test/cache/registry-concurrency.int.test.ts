// Integration: the registry cache under concurrency and interruption (Debian's docker-registry on
// loopback, behind a gate that can hold requests). Two builds of different Dockerfiles export to one
// ref at once, their manifest PUTs held until both have sent every blob and then let go together: the
// ref is one writer's cache, whole (every blob there), and a cold build reads exactly that writer's
// entries (its steps all hits, the other's all run). A build aborted as its export uploads its first
// layer puts no manifest: the ref keeps the previous export, which a cold build gets whole.
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeCachedImages } from '../support/cache-index.js';
import { madeByThisFile, makeContext, removeDir, uniqueName } from '../support/docker.js';
import { entryKeys, readStoredCache, runBuild } from '../support/registry-cache.js';
import { RegistryGate } from '../support/registry-gate.js';
import { TestRegistry } from '../support/registry.js';

const made = madeByThisFile();
let registry: TestRegistry;
let gate: RegistryGate;
const cacheDirs: string[] = [];

test.before(async () => {
  registry = await TestRegistry.start();
  gate = await RegistryGate.start(registry);
});
test.after.always(async () => {
  await gate?.close();
  await registry?.stop();
  for (const dir of cacheDirs) {
    await removeCachedImages(dir);
    await removeDir(dir);
  }
});

async function freshCacheDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-registry-conc-'));
  cacheDirs.push(dir);
  return dir;
}

/** A Dockerfile of three steps of its own (nothing another writer's build could share). */
async function writerContext(name: string): Promise<string> {
  const dir = await makeContext({
    Dockerfile: `FROM busybox\nRUN echo ${name} > /writer\nCOPY note /note\nRUN cat /writer /note > /both\n`,
    note: `${uniqueName(name)}\n`,
  });
  made.cleanup.push(dir);
  return dir;
}

/** The manifest PUTs of one ref (`ci/shared:cache` → PUT /v2/ci/shared/manifests/cache). */
const manifestPut = (name: string) => {
  const [repository, tag] = name.split(':');
  return (r: { method: string; path: string }) => r.method === 'PUT' && r.path === `/v2/${repository}/manifests/${tag}`;
};

test('two builds exporting to one ref at once leave one writer’s cache, whole; a cold build gets exactly it', async (t) => {
  const ref = gate.ref('ci/shared:cache');

  const writers = [
    { context: await writerContext('writer-a'), cacheDir: await freshCacheDir() },
    { context: await writerContext('writer-b'), cacheDir: await freshCacheDir() },
  ];
  // Both manifests wait at the gate until both writers are there, then go to the registry together.
  gate.hold(manifestPut('ci/shared:cache'));
  const both = gate.whenHeld(2, 300_000).finally(() => gate.release());
  const runs = await Promise.all(
    writers.map((w) => runBuild({ context: w.context, cacheDir: w.cacheDir, registryCacheTo: { ref, mode: 'max' } })),
  );
  await t.notThrowsAsync(both, 'both manifest PUTs were held at once');
  const [a, b] = runs;
  t.truthy(a.exportDigest);
  t.truthy(b.exportDigest);
  t.not(a.exportDigest, b.exportDigest);

  const stored = await readStoredCache(ref);
  const winner = stored.digest === a.exportDigest ? 0 : 1;
  t.true([a.exportDigest, b.exportDigest].includes(stored.digest), 'the tag is one writer’s manifest');
  t.deepEqual(stored.missingBlobs, [], 'every blob the manifest names is in the registry');
  const own = [await readStoredCache(ref, a.exportDigest), await readStoredCache(ref, b.exportDigest)];
  t.deepEqual(entryKeys(stored.index), entryKeys(own[winner].index), 'the winner’s entries, all of them');
  // Three steps and the stage's result.
  t.is(stored.index.entries.length, 4, stored.index.entries.map((e) => e.step).join(' | '));
  t.deepEqual(
    entryKeys(stored.index).filter((key) => entryKeys(own[1 - winner].index).includes(key)),
    [],
    'none of the other writer’s',
  );

  // Cold readers: the writers' images gone from the daemon, fresh cache dirs.
  for (const w of writers) await removeCachedImages(w.cacheDir);
  const hit = await runBuild({
    context: writers[winner].context,
    cacheDir: await freshCacheDir(),
    registryCacheFrom: [ref],
  });
  t.deepEqual(hit.imported, [4]);
  t.deepEqual(hit.ran, [], 'every step of the winner a hit');
  t.is(hit.cached.length, 3);
  t.true(hit.fetched > 0, 'its layers came from the registry');
  t.is(hit.imageId, runs[winner].imageId);
  const miss = await runBuild({
    context: writers[1 - winner].context,
    cacheDir: await freshCacheDir(),
    registryCacheFrom: [ref],
  });
  t.deepEqual(miss.cached, [], 'the other writer’s steps are not in the cache');
  t.is(miss.ran.length, 3);
});

test('a build aborted while its export uploads puts no manifest; a cold build gets the previous cache whole', async (t) => {
  const ref = gate.ref('ci/interrupted:cache');
  const first = { context: await writerContext('first'), cacheDir: await freshCacheDir() };
  const one = await runBuild({ ...first, registryCacheTo: { ref, mode: 'max' } });
  t.truthy(one.exportDigest);

  const second = { context: await writerContext('second'), cacheDir: await freshCacheDir() };
  const controller = new AbortController();
  const reason = new Error('interrupted by the test');
  let abortedAfter = 0;
  const interrupted = runBuild({ ...second, registryCacheTo: { ref, mode: 'max' }, signal: controller.signal }, (e) => {
    // The first layer of the second export is in the registry: the export is under way.
    if (e.type === 'transfer' && e.action === 'cache-export' && e.layer !== undefined && !controller.signal.aborted) {
      abortedAfter = Date.now();
      controller.abort(reason);
    }
  });
  await t.throwsAsync(interrupted);
  t.true(abortedAfter > 0, 'aborted while the export was under way');
  t.is(gate.seen.filter(manifestPut('ci/interrupted:cache')).length, 1, 'only the first build’s manifest PUT');

  const stored = await readStoredCache(ref);
  t.is(stored.digest, one.exportDigest ?? 'no export', 'the ref is still the first export');
  t.deepEqual(stored.missingBlobs, []);

  await removeCachedImages(first.cacheDir);
  const cold = await runBuild({ context: first.context, cacheDir: await freshCacheDir(), registryCacheFrom: [ref] });
  t.deepEqual(cold.imported, [4]);
  t.deepEqual(cold.ran, []);
  t.is(cold.cached.length, 3);
  t.true(cold.fetched > 0);
  t.is(cold.imageId, one.imageId);
});
