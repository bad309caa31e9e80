// Unit: the layer tar writer makes archives tar readers agree on: ustar headers, PAX records for
// long names and binary xattrs (a capability set survives byte for byte), hard links and devices,
// and a diff ID that is the sha256 of the file.
import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { TarWriter } from '../../engine/oci/tar-writer.js';
import { removeDir } from '../support/docker.js';

interface Read {
  name: string;
  type: string;
  size: number;
  mode: number;
  uid: number;
  linkname: string | null;
  devmajor: number;
  pax: Record<string, string> | null;
  body: Buffer;
  mtime: Date;
}

/** Entries with their raw PAX record bytes (tar-stream decodes PAX values as text). */
async function readTar(data: Buffer): Promise<Read[]> {
  const extract = tarStream.extract();
  const entries: Read[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        entries.push({
          name: header.name,
          type: header.type ?? 'file',
          size: header.size ?? 0,
          mode: header.mode ?? 0,
          uid: header.uid ?? 0,
          linkname: header.linkname ?? null,
          devmajor: header.devmajor ?? 0,
          pax: (header.pax as Record<string, string> | undefined) ?? null,
          body: Buffer.concat(chunks),
          mtime: header.mtime ?? new Date(0),
        });
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from([data]).pipe(extract);
  await done;
  return entries;
}

test('entries, bodies from files and buffers, and the diff ID', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-tarw-'));
  t.teardown(() => removeDir(dir));
  await writeFile(join(dir, 'body'), 'from a file\n');
  const path = join(dir, 'layer.tar');
  const tar = await TarWriter.create(path);
  const when = new Date('2024-01-02T03:04:05.678Z');
  await tar.add({ name: 'app', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: when });
  await tar.add(
    { name: 'app/a.txt', type: 'file', mode: 0o4755, uid: 1000, gid: 1000, mtime: when, size: 12 },
    join(dir, 'body'),
  );
  await tar.add({ name: 'app/b', type: 'file', mode: 0o600, uid: 0, gid: 0, mtime: when, size: 3 }, Buffer.from('abc'));
  await tar.add({ name: 'app/hard', type: 'link', mode: 0o600, uid: 0, gid: 0, mtime: when, linkname: 'app/b' });
  await tar.add({ name: 'app/link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: when, linkname: '../etc/x' });
  await tar.add({
    name: 'dev/null',
    type: 'character-device',
    mode: 0o666,
    uid: 0,
    gid: 0,
    mtime: when,
    device: { major: 1, minor: 3 },
  });
  await tar.add({ name: 'fifo', type: 'fifo', mode: 0o644, uid: 0, gid: 0, mtime: when });
  const written = await tar.finish();
  const data = await readFile(path);
  t.is(written.size, data.length);
  t.is(written.diffId, `sha256:${createHash('sha256').update(data).digest('hex')}`);
  t.is(written.contentSize, 15);
  const entries = await readTar(data);
  t.deepEqual(
    entries.map((e) => [e.name, e.type]),
    [
      ['app/', 'directory'],
      ['app/a.txt', 'file'],
      ['app/b', 'file'],
      ['app/hard', 'link'],
      ['app/link', 'symlink'],
      ['dev/null', 'character-device'],
      ['fifo', 'fifo'],
    ],
  );
  t.is(entries[1].body.toString(), 'from a file\n');
  t.is(entries[1].mode, 0o4755);
  t.is(entries[1].uid, 1000);
  t.is(entries[1].mtime.getTime(), Date.parse('2024-01-02T03:04:05Z'));
  t.is(entries[3].linkname, 'app/b');
  t.is(entries[5].devmajor, 1);
});

test('long and non-ASCII names and binary xattrs go into PAX records', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-tarw-'));
  t.teardown(() => removeDir(dir));
  const path = join(dir, 'layer.tar');
  const tar = await TarWriter.create(path);
  const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
  const capability = Buffer.from([1, 0, 0, 2, 0, 0x20, 0, 0, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  await tar.add(
    { name: long, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), size: 1 },
    Buffer.from('x'),
  );
  await tar.add({
    name: 'é',
    type: 'symlink',
    mode: 0o777,
    uid: 0,
    gid: 0,
    mtime: new Date(0),
    linkname: 'ü'.repeat(80),
  });
  await tar.add({
    name: 'ping',
    type: 'file',
    mode: 0o755,
    uid: 0,
    gid: 0,
    mtime: new Date(0),
    size: 0,
    xattrs: new Map([['security.capability', capability]]),
  });
  await tar.finish();
  const data = await readFile(path);
  const entries = await readTar(data);
  t.is(entries[0].name, long);
  t.is(entries[1].name, 'é');
  t.is(entries[1].linkname, 'ü'.repeat(80));
  t.truthy(entries[2].pax?.['SCHILY.xattr.security.capability']);
  // The record's bytes, as GNU tar and Go read them: exactly the capability set.
  const marker = Buffer.from(' SCHILY.xattr.security.capability=');
  const at = data.indexOf(marker);
  t.true(at > 0);
  t.deepEqual(data.subarray(at + marker.length, at + marker.length + capability.length), capability);
  t.is(data[at + marker.length + capability.length], 0x0a);
});
