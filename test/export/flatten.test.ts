// Applying a layer to a directory (type=local and type=tar outputs): fifos, devices (as root), hard
// links as links and symlink times are written; a hard link is never made through a symlink.
import test from 'ava';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tarStream from 'tar-stream';
import { deviceNumbers, mayMakeDevices } from '../../engine/copy/special-files.js';
import { applyLayer } from '../../engine/export/flatten.js';
import { removeDir } from '../support/docker.js';

async function layer(entries: Array<Parameters<ReturnType<typeof tarStream.pack>['entry']>[0]>): Promise<Readable> {
  const pack = tarStream.pack();
  const written = buffer(pack as unknown as Readable);
  for (const header of entries)
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, '', (error) => (error ? reject(error) : resolve())),
    );
  pack.finalize();
  return Readable.from([await written]);
}

test('fifos, devices, hard links and symlink times are applied as the layer has them', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'msbuild-flatten-'));
  t.teardown(() => removeDir(root));
  const at = new Date(1_600_000_000_000);
  await applyLayer(
    await layer([
      { name: 'file', mode: 0o640, mtime: at },
      { name: 'hard', type: 'link', linkname: 'file', mode: 0o640, mtime: at },
      { name: 'fifo', type: 'fifo', mode: 0o600, mtime: at },
      { name: 'null', type: 'character-device', mode: 0o620, devmajor: 1, devminor: 3, mtime: at },
      { name: 'sym', type: 'symlink', linkname: 'file', mtime: at },
    ]),
    root,
  );
  const [file, hard, fifo, sym] = await Promise.all(
    ['file', 'hard', 'fifo', 'sym'].map((name) => lstat(join(root, name), { bigint: true })),
  );
  t.is(hard.ino, file.ino, 'one inode, two names');
  t.true(fifo.isFIFO());
  t.is(Number(fifo.mode) & 0o7777, 0o600);
  t.is(Number(sym.mtimeMs), at.getTime(), 'the symlink keeps its time');
  if (mayMakeDevices) {
    const device = await lstat(join(root, 'null'), { bigint: true });
    t.true(device.isCharacterDevice());
    t.deepEqual(deviceNumbers(device.rdev), { major: 1, minor: 3 });
    t.is(Number(device.mtimeMs), at.getTime());
  } else {
    t.false(existsSync(join(root, 'null')), 'without root a device is left out, not faked');
  }
});

test('a hard link is never made through a symlink, which could reach a host file', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'msbuild-flatten-'));
  const outside = await mkdtemp(join(tmpdir(), 'msbuild-flatten-host-'));
  t.teardown(() => Promise.all([removeDir(root), removeDir(outside)]));
  await writeFile(join(outside, 'secret'), 'host secret\n');
  await applyLayer(
    await layer([
      { name: 'evil', type: 'symlink', linkname: outside },
      { name: 'stolen', type: 'link', linkname: 'evil/secret' },
      { name: 'up', type: 'link', linkname: '../../../../etc/passwd' },
    ]),
    root,
  );
  t.false(existsSync(join(root, 'stolen')));
  t.false(existsSync(join(root, 'up')));
});
