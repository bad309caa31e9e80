// Devices, fifos and hard links through a copy: an unpacked archive keeps them (devices with their
// numbers, hard links as links whose last header sets the shared owner and mode), a COPY writes devices
// as empty files and leaves fifos out, and hard links stay links only between names one source copies;
// a hard link to anything but a file already in the archive fails, naming it, as BuildKit's unpacking does.
// Context sockets and devices become empty files and fifos are left out, as BuildKit copies them.
import test from 'ava';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tarStream from 'tar-stream';
import { copyEntries, knownView } from '../../engine/copy/apply.js';
import { ImageSourceFs } from '../../engine/copy/image-source.js';
import { resolveSources } from '../../engine/copy/resolve.js';
import type { SourceFs } from '../../engine/copy/source-fs.js';
import { deviceNumbers } from '../../engine/copy/special-files.js';
import { KnownFs } from '../../engine/image/known-fs.js';
import type { LayerEntry } from '../../engine/image/layer.js';

type Entries = Array<[Parameters<ReturnType<typeof tarStream.pack>['entry']>[0], string?]>;

async function archive(extra: Entries = []): Promise<Buffer> {
  const pack = tarStream.pack();
  const written = buffer(pack as unknown as Readable);
  const entries: Entries = [
    [{ name: 'top/', type: 'directory', mode: 0o755 }],
    [{ name: 'top/file.txt', mode: 0o600, uid: 1000, gid: 1000 }, 'hello\n'],
    [{ name: 'top/hard', type: 'link', linkname: 'top/file.txt', mode: 0o755, uid: 1001, gid: 1002 }],
    [{ name: 'top/dev', type: 'character-device', mode: 0o620, devmajor: 1, devminor: 3 }],
    [{ name: 'top/blk', type: 'block-device', mode: 0o660, gid: 6, devmajor: 259, devminor: 70000 }],
    [{ name: 'top/fifo', type: 'fifo', mode: 0o644 }],
    [{ name: 'top/sub/', type: 'directory', mode: 0o755 }],
    [{ name: 'top/sub/hard2', type: 'link', linkname: 'top/hard', mode: 0o640, uid: 7, gid: 8 }],
    [{ name: 'top/later', mode: 0o644 }, 'later\n'],
  ];
  for (const [header, body] of [...entries, ...extra])
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, body ?? '', (error) => (error ? reject(error) : resolve())),
    );
  pack.finalize();
  return written;
}

async function tree(unpacked: boolean): Promise<ImageSourceFs> {
  const fs = await ImageSourceFs.create(unpacked ? 'archive special.tar' : 'stage special', { unpacked });
  await fs.addArchive('', Readable.from([await archive()]));
  return fs;
}

async function copied(fs: SourceFs, sources: string[], dest: string): Promise<Map<string, LayerEntry>> {
  const items = [];
  for (const item of await resolveSources(fs, sources)) items.push({ fs, item });
  const entries = await copyEntries(
    { items, dest, chmod: '', excludes: [], time: new Date(0) },
    knownView(new KnownFs()),
  );
  return new Map(entries.map((entry) => [entry.path, entry]));
}

const summary = (entry: LayerEntry | undefined) =>
  entry &&
  [
    entry.type,
    entry.mode.toString(8),
    `${entry.uid}:${entry.gid}`,
    entry.linkname ?? '',
    entry.device ? `${entry.device.major},${entry.device.minor}` : '',
  ]
    .join(' ')
    .trim();

test('an unpacked archive keeps devices, fifos and hard links; a link sets the shared metadata', async (t) => {
  const fs = await tree(true);
  try {
    const entries = await copied(fs, [''], '/x/');
    t.is(summary(entries.get('/x/top/dev')), 'character-device 620 0:0  1,3');
    t.is(summary(entries.get('/x/top/blk')), 'block-device 660 0:6  259,70000');
    t.is(summary(entries.get('/x/top/fifo')), 'fifo 644 0:0');
    // The names share one inode: the last link's header (hard2's) is every name's owner and mode.
    t.is(summary(entries.get('/x/top/file.txt')), 'file 640 7:8');
    t.is(summary(entries.get('/x/top/hard')), 'link 640 7:8 /x/top/file.txt');
    t.is(summary(entries.get('/x/top/sub/hard2')), 'link 640 7:8 /x/top/file.txt');
    t.is(summary(entries.get('/x/top/later')), 'file 644 0:0');
    t.is(fs.readSmall('top/sub/hard2').toString(), 'hello\n', 'every name reads the shared bytes');
  } finally {
    await fs.dispose();
  }
});

test('a hard link to a path outside the archive, or to a name it has not written yet, fails with the path', async (t) => {
  for (const [link, message] of [
    ['/etc/passwd', 'Error processing tar file: link /etc/passwd /top/host: no such file or directory'],
    ['top/not-yet', 'Error processing tar file: link /top/not-yet /top/host: no such file or directory'],
    ['top/sub', 'Error processing tar file: link /top/sub /top/host: operation not permitted'],
  ]) {
    const fs = await ImageSourceFs.create('archive hostile.tar', { unpacked: true });
    try {
      const bytes = await archive([[{ name: 'top/host', type: 'link', linkname: link }]]);
      const error = await t.throwsAsync(fs.addArchive('', Readable.from([bytes])));
      t.is(error?.message, message);
    } finally {
      await fs.dispose();
    }
  }
});

test('a COPY writes devices as empty files, leaves fifos out, and links only names one source copies', async (t) => {
  const fs = await tree(false);
  try {
    const tree = await copied(fs, ['top'], '/y/');
    t.is(summary(tree.get('/y/dev')), 'file 620 0:0');
    t.is(tree.get('/y/dev')?.size, 0);
    t.is(tree.get('/y/dev')?.body, undefined, 'nothing is read from a device');
    t.is(summary(tree.get('/y/blk')), 'file 660 0:6');
    t.false(tree.has('/y/fifo'));
    t.is(summary(tree.get('/y/hard')), 'link 640 7:8 /y/file.txt');
    const sub = await copied(fs, ['top/sub'], '/z/');
    t.is(summary(sub.get('/z/hard2')), 'file 640 7:8', 'its other names are not copied with it');
    const separate = await copied(fs, ['top/file.txt', 'top/hard'], '/multi/');
    t.is(summary(separate.get('/multi/hard')), 'file 640 7:8', 'names from different sources are not linked');
    t.deepEqual([...(await copied(fs, ['top/fifo'], '/f'))], [], 'a fifo alone copies nothing');
  } finally {
    await fs.dispose();
  }
});

test('device numbers are split from rdev as glibc splits them', (t) => {
  const makedev = (major: bigint, minor: bigint) =>
    ((major & 0xfffn) << 8n) | ((major & ~0xfffn) << 32n) | (minor & 0xffn) | ((minor & ~0xffn) << 12n);
  t.deepEqual(deviceNumbers(makedev(1n, 3n)), { major: 1, minor: 3 });
  t.deepEqual(deviceNumbers(makedev(259n, 70000n)), { major: 259, minor: 70000 });
  t.deepEqual(deviceNumbers(makedev(5000n, 2n)), { major: 5000, minor: 2 });
});

test('context special files as BuildKit copies them: a socket and a device become empty files, a fifo is left out; a name that is not UTF-8 fails with its path', async (t) => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createServer } = await import('node:net');
  const { ContextFs } = await import('../../engine/copy/source-fs.js');
  const { ignoreRules } = await import('../../engine/context/ignore.js');
  const { makeSpecialFile, mayMakeDevices } = await import('../../engine/copy/special-files.js');
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-unit-context-'));
  const server = createServer();
  try {
    await writeFile(join(dir, 'plain'), 'plain\n');
    await new Promise<void>((resolve) => server.listen(join(dir, 'sock'), resolve));
    await makeSpecialFile(join(dir, 'fifo'), 'fifo', 0o644);
    if (mayMakeDevices) await makeSpecialFile(join(dir, 'dev'), 'character-device', 0o600, { major: 1, minor: 3 });
    const fs = new ContextFs(dir, ignoreRules([]));
    const tree = await copied(fs, [''], '/c/');
    t.is(summary(tree.get('/c/sock')), `file ${((await fs.lstat('sock'))?.mode ?? 0).toString(8)} 0:0`);
    t.is(tree.get('/c/sock')?.size, 0);
    t.false(tree.has('/c/fifo'));
    if (mayMakeDevices) t.is(summary(tree.get('/c/dev')), 'file 600 0:0');
    await writeFile(Buffer.concat([Buffer.from(`${dir}/bad-`), Buffer.from([0xff]), Buffer.from('-name')]), 'x');
    const error = await t.throwsAsync(copied(fs, [''], '/c/'));
    t.regex(error?.message ?? '', /^cannot copy "bad-\\xff-name" from the build context: its name is not valid UTF-8/);
    const ignoring = new ContextFs(dir, ignoreRules(['bad-*']));
    t.false((await copied(ignoring, [''], '/c/')).has('/c/bad-\udcff-name'));
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
