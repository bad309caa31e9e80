// Unit: an overlay upper dir becomes the layer Docker's overlay2 driver makes of it: whiteouts as
// `.wh.NAME`, an opaque dir's `.wh..wh..opq`, hard links, fifos and devices kept, sockets dropped,
// of the xattrs only security.capability (version 3 written as 2), and a redirected dir refused.
import test from 'ava';
import { link, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { systemHelper } from '../../engine/oci/helper.js';
import { layerCapability, writeUpperLayer } from '../../engine/oci/upper-layer.js';
import { removeDir } from '../support/docker.js';

async function names(path: string): Promise<Array<[string, string, string]>> {
  const extract = tarStream.extract();
  const found: Array<[string, string, string]> = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const pax = Object.keys((header.pax as Record<string, string> | undefined) ?? {}).join(',');
      found.push([header.name, header.type ?? '', `${(header.mode ?? 0).toString(8)}${pax ? ` ${pax}` : ''}`]);
      stream.resume();
      stream.on('end', next);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from([await readFile(path)]).pipe(extract);
  await done;
  return found;
}

test('whiteouts, opaque dirs, links, special files and capabilities', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-upper-'));
  t.teardown(() => removeDir(dir));
  const upper = join(dir, 'upper');
  const helper = systemHelper();
  await mkdir(join(upper, 'etc'), { recursive: true });
  await mkdir(join(upper, 'var/cache'), { recursive: true });
  await writeFile(join(upper, 'etc/app.conf'), 'x=1\n');
  await link(join(upper, 'etc/app.conf'), join(upper, 'etc/again.conf'));
  await symlink('/etc/app.conf', join(upper, 'conf'));
  await writeFile(join(upper, 'var/cache/new'), 'n');
  await helper.mknod(join(upper, 'etc/removed'), 0o020000);
  await helper.mknod(join(upper, 'pipe'), 0o010644);
  await helper.mknod(join(upper, 'null'), 0o020666, { major: 1, minor: 3 });
  const server = createServer().listen(join(upper, 'socket'));
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => void server.close());
  await writeFile(join(upper, 'ping'), '');
  const v3 = Buffer.alloc(24);
  v3[3] = 3;
  v3[4] = 0x20;
  const xattrs = new Map([
    ['', new Map([['trusted.overlay.uuid', Buffer.from('u')]])],
    ['var/cache', new Map([['trusted.overlay.opaque', Buffer.from('y')]])],
    ['etc', new Map([['trusted.overlay.origin', Buffer.from('o')]])],
    ['ping', new Map([['security.capability', v3]])],
  ]);
  const path = join(dir, 'layer.tar');
  const layer = await writeUpperLayer({ upper, path, xattrs });
  t.deepEqual(await names(path), [
    ['conf', 'symlink', '777'],
    ['etc/', 'directory', '755'],
    ['etc/again.conf', 'file', '644'],
    ['etc/app.conf', 'link', '644'],
    ['etc/.wh.removed', 'file', '600'],
    ['null', 'character-device', '644'],
    ['ping', 'file', '644 SCHILY.xattr.security.capability'],
    ['pipe', 'fifo', '644'],
    ['var/', 'directory', '755'],
    ['var/cache/', 'directory', '755'],
    ['var/cache/.wh..wh..opq', 'file', '755'],
    ['var/cache/new', 'file', '644'],
  ]);
  t.is(layer.contentSize, 5);
});

test('capability sets of version 3 are written as version 2', (t) => {
  const v3 = Buffer.alloc(24, 7);
  v3[3] = 3;
  const v2 = layerCapability(v3);
  t.is(v2.length, 20);
  t.is(v2[3], 2);
  const already = Buffer.from([1, 0, 0, 2, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
  t.is(layerCapability(already), already);
});

test('a redirected dir is refused, and no partial tar is left', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-upper-'));
  t.teardown(() => removeDir(dir));
  await mkdir(join(dir, 'upper/moved'), { recursive: true });
  const path = join(dir, 'layer.tar');
  const xattrs = new Map([['moved', new Map([['trusted.overlay.redirect', Buffer.from('/old')]])]]);
  await t.throwsAsync(writeUpperLayer({ upper: join(dir, 'upper'), path, xattrs }), { message: /redirected/ });
  await t.throwsAsync(readFile(path));
});
