// Unit: the snapshot store makes snapshots whole or not at all, keeps their chains, adds a form
// once however many processes race, collects the least recently used leaves down to a size (never
// while another process uses the store), and removes what killed processes left.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotStore } from '../../engine/oci/snapshots.js';
import { removeDir } from '../support/docker.js';

async function store(t: { teardown(fn: () => Promise<void>): void }): Promise<SnapshotStore> {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-snapshots-'));
  t.teardown(() => removeDir(dir));
  return new SnapshotStore(dir);
}

test('a snapshot is visible only once committed, with its chain', async (t) => {
  const snapshots = await store(t);
  const base = await snapshots.create({ fsMode: 0o700, fsOwner: { uid: 1, gid: 2 } });
  t.is((await stat(base.fs)).mode & 0o7777, 0o700);
  t.is((await stat(base.fs)).uid, 1);
  t.deepEqual(await snapshots.list(), []);
  await writeFile(join(base.fs, 'a'), 'a');
  const first = await snapshots.commit(base, { baseImage: 'sha256:abc', fsSize: 1 });
  const next = await snapshots.create();
  const second = await snapshots.commit(next, { parent: first.id, fsSize: 0 });
  const chain = await snapshots.chain(second.id);
  t.deepEqual(
    chain?.map((s) => s.id),
    [second.id, first.id],
  );
  t.is(chain?.[1].baseImage, 'sha256:abc');
  t.true(chain?.[0].hasFs);
  t.false(chain?.[0].hasLayer);
  t.false(
    await stat(join(snapshots.dirOf(first.id), 'work')).then(
      () => true,
      () => false,
    ),
  );
  t.is(await snapshots.get('../../etc'), undefined);
});

test("a chain reads each snapshot once per store; the store's own changes are read again", async (t) => {
  const snapshots = await store(t);
  const first = await snapshots.commit(await snapshots.create(), { baseImage: 'sha256:abc' });
  const second = await snapshots.commit(await snapshots.create(), { parent: first.id });
  t.is((await snapshots.chain(second.id))?.length, 2);
  // Another writer of the metadata (none exists while a build uses the store) goes unseen: read once.
  await writeFile(
    join(snapshots.dirOf(first.id), 'meta.json'),
    JSON.stringify({ id: first.id, baseImage: 'sha256:x' }),
  );
  t.is((await snapshots.chain(second.id))?.[1].baseImage, 'sha256:abc');
  await snapshots.update(first.id, { contentSize: 5 });
  const again = await snapshots.chain(second.id);
  t.is(again?.[1].baseImage, 'sha256:x');
  t.is(again?.[1].contentSize, 5);
});

test('a chain with a missing parent is no chain', async (t) => {
  const snapshots = await store(t);
  const made = await snapshots.commit(await snapshots.create(), { parent: '0123456789abcdef' });
  t.is(await snapshots.chain(made.id), undefined);
});

test('a layer-only snapshot, and a form added once', async (t) => {
  const snapshots = await store(t);
  const tar = join(snapshots.stateDir, 'x.tar');
  await writeFile(tar, 'tar bytes');
  const made = await snapshots.commitLayer({ tar, diffId: 'sha256:1', layerSize: 9, contentSize: 3 });
  const got = await snapshots.get(made.id);
  t.true(got?.hasLayer);
  t.false(got?.hasFs);
  const first = snapshots.scratchFor(made.id, 'fs');
  const second = snapshots.scratchFor(made.id, 'fs');
  await mkdir(first);
  await writeFile(join(first, 'one'), '1');
  await mkdir(second);
  await writeFile(join(second, 'two'), '2');
  t.true(await snapshots.adopt(made.id, first, 'fs'));
  t.false(await snapshots.adopt(made.id, second, 'fs'));
  t.deepEqual(await readdir(snapshots.fsOf(made.id)), ['one']);
  t.deepEqual((await readdir(snapshots.dirOf(made.id))).sort(), ['fs', 'layer.tar', 'meta.json']);
});

test('collection removes least recently used leaves first, down to the limit', async (t) => {
  const snapshots = await store(t);
  const a = await snapshots.commit(await snapshots.create(), { fsSize: 100 });
  const b = await snapshots.commit(await snapshots.create(), { parent: a.id, fsSize: 100 });
  const c = await snapshots.commit(await snapshots.create(), { fsSize: 100 });
  const at = (id: string, seconds: number) =>
    utimes(join(snapshots.dirOf(id), 'meta.json'), new Date(seconds * 1000), new Date(seconds * 1000));
  await at(a.id, 1);
  await at(b.id, 3);
  await at(c.id, 2);
  // a is oldest but b (a child) needs it: c goes first, then b, then a.
  const first = await snapshots.collect({ limitBytes: 200 });
  t.deepEqual(
    first.removed.map((s) => s.id),
    [c.id],
  );
  const second = await snapshots.collect({ limitBytes: 0 });
  t.deepEqual(
    second.removed.map((s) => s.id),
    [b.id, a.id],
  );
  t.is(second.freedBytes, 200);
});

test('nothing is collected while another live process uses the store', async (t) => {
  const snapshots = await store(t);
  await snapshots.commit(await snapshots.create(), { fsSize: 100 });
  const other = spawn('sleep', ['30']);
  t.teardown(() => void other.kill());
  await mkdir(join(snapshots.stateDir, 'uses'), { recursive: true });
  await writeFile(join(snapshots.stateDir, 'uses', String(other.pid)), '');
  const result = await snapshots.collect({ all: true });
  t.deepEqual(result.busy, [other.pid]);
  t.is(result.removed.length, 0);
  other.kill();
  await new Promise((resolve) => other.once('exit', resolve));
  t.is((await snapshots.collect({ all: true })).removed.length, 1);
});

test('leftovers of dead processes go, those of live ones stay', async (t) => {
  const snapshots = await store(t);
  const dead = spawn('true');
  await new Promise((resolve) => dead.once('exit', resolve));
  await mkdir(join(snapshots.root, `new-${dead.pid}-0123456789abcdef/fs`), { recursive: true });
  const mine = await snapshots.create();
  const kept = await snapshots.commit(await snapshots.create(), {});
  await mkdir(join(snapshots.dirOf(kept.id), `fs.new-${dead.pid}-aaaa`));
  t.is(await snapshots.removeLeftovers(), 2);
  t.deepEqual((await readdir(snapshots.root)).sort(), [kept.id, mine.dir.split('/').at(-1)].sort());
});
