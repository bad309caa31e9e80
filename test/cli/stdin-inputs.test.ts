// Unit: `-f -` and a context of `-` read as docker reads them: a Dockerfile, or a context archive
// (plain or compressed) unpacked with tar-fs into a temporary directory that dispose removes, links
// kept as they are and setuid bits restored; entries cannot land outside it.
import test from 'ava';
import { existsSync } from 'node:fs';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { readBuildInputs } from '../../cli/stdin-inputs.js';

async function tar(
  entries: Array<{
    name: string;
    type?: 'file' | 'symlink' | 'directory';
    mode?: number;
    linkname?: string;
    body?: string;
  }>,
): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const entry of entries)
    pack.entry(
      {
        name: entry.name,
        type: entry.type ?? 'file',
        mode: entry.mode ?? 0o644,
        ...(entry.linkname ? { linkname: entry.linkname } : {}),
      },
      entry.body ?? '',
    );
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test('-f -: the Dockerfile is stdin, the context stays', async (t) => {
  const inputs = await readBuildInputs('ctx', '-', Readable.from([Buffer.from('FROM busybox\n')]));
  t.like(inputs, { context: 'ctx', dockerfileText: 'FROM busybox\n' });
  await t.throwsAsync(readBuildInputs('-', '-', Readable.from([])), { message: /can't use stdin for both/ });
});

test('a context archive on stdin, gzip too; a Dockerfile alone is an empty context', async (t) => {
  const archive = await tar([
    { name: 'Dockerfile', body: 'FROM busybox\n' },
    { name: 'sub/', type: 'directory', mode: 0o755 },
    { name: 'sub/tool', mode: 0o4755, body: 'x' },
    { name: 'link', type: 'symlink', linkname: '/etc/passwd' },
  ]);
  for (const bytes of [archive, gzipSync(archive)]) {
    const inputs = await readBuildInputs('-', undefined, Readable.from([bytes]));
    t.is(await readFile(join(inputs.context, 'Dockerfile'), 'utf8'), 'FROM busybox\n');
    t.is((await lstat(join(inputs.context, 'sub/tool'))).mode & 0o7777, 0o4755, 'the setuid bit is kept');
    t.is(await readlink(join(inputs.context, 'link')), '/etc/passwd', 'a link to anywhere is kept as a link');
    await inputs.dispose();
    t.false(existsSync(inputs.context));
  }
  const named = await readBuildInputs('-', 'sub/tool', Readable.from([archive]));
  t.is(named.dockerfile, join(named.context, 'sub/tool'));
  await named.dispose();
  const plain = await readBuildInputs('-', undefined, Readable.from([Buffer.from('FROM busybox\nRUN true\n')]));
  t.is(plain.dockerfileText, 'FROM busybox\nRUN true\n');
  await plain.dispose();
});

test('an entry that climbs out of the context is refused', async (t) => {
  const archive = await tar([
    { name: 'a', type: 'symlink', linkname: '/tmp' },
    { name: 'a/escaped', body: 'x' },
  ]);
  await t.throwsAsync(readBuildInputs('-', undefined, Readable.from([archive])), {
    message: /cannot read the build context from stdin/,
  });
  t.false(existsSync('/tmp/escaped'));
});
