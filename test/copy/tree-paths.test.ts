// Unit: archive entries are placed as BuildKit unpacks them in a chroot at the destination: through the
// archive's own symlinks where they lead inside it, never out of it, and a way that leads nowhere (or
// loops) fails the entry, naming it.
import test from 'ava';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tarStream from 'tar-stream';
import { ImageSourceFs } from '../../engine/copy/image-source.js';

type Entries = Array<[Parameters<ReturnType<typeof tarStream.pack>['entry']>[0], string?]>;

async function unpacked(entries: Entries): Promise<ImageSourceFs> {
  const pack = tarStream.pack();
  const written = buffer(pack as unknown as Readable);
  for (const [header, body] of entries)
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, body ?? '', (error) => (error ? reject(error) : resolve())),
    );
  pack.finalize();
  const fs = await ImageSourceFs.create('archive test.tar', { unpacked: true });
  try {
    await fs.addArchive('', Readable.from([await written]));
    return fs;
  } catch (error) {
    await fs.dispose();
    throw error;
  }
}

test('a write through the archive’s own symlink lands where it leads inside the tree; a link out of it leads to its root', async (t) => {
  const fs = await unpacked([
    [{ name: 'sub/', type: 'directory' }],
    [{ name: 'inner', type: 'symlink', linkname: 'sub' }],
    [{ name: 'inner/through' }, 'through\n'],
    [{ name: 'abs', type: 'symlink', linkname: '/sub' }],
    [{ name: 'abs/absolute' }, 'absolute\n'],
    [{ name: 'up', type: 'symlink', linkname: '../../..' }],
    [{ name: 'up/made/deep' }, 'made\n'],
  ]);
  try {
    t.is(fs.readSmall('sub/through').toString(), 'through\n');
    t.is(fs.readSmall('sub/absolute').toString(), 'absolute\n');
    t.is((await fs.lstat('made'))?.type, 'directory', 'missing parents are made, at the root the link leads to');
    t.is(fs.readSmall('made/deep').toString(), 'made\n');
    t.is((await fs.lstat('inner'))?.type, 'symlink');
    t.is(await fs.lstat('inner/through'), undefined, 'nothing is placed under a symlink');
  } finally {
    await fs.dispose();
  }
});

test('an entry whose way leads nowhere, through a file or round a loop fails with its path', async (t) => {
  const cases: Array<[Entries, string]> = [
    [
      [[{ name: 'evil', type: 'symlink', linkname: '/etc' }], [{ name: 'evil/pwned' }, 'x']],
      'Error processing tar file: open /evil/pwned: no such file or directory',
    ],
    [
      [[{ name: 'file' }, 'x'], [{ name: 'file/under/', type: 'directory' }]],
      'Error processing tar file: mkdir /file/under: not a directory',
    ],
    [
      [
        [{ name: 'a', type: 'symlink', linkname: 'b' }],
        [{ name: 'b', type: 'symlink', linkname: 'a' }],
        [{ name: 'a/x', type: 'symlink', linkname: 'y' }],
      ],
      'Error processing tar file: symlink y /a/x: too many levels of symbolic links',
    ],
  ];
  for (const [entries, message] of cases) {
    const error = await t.throwsAsync(unpacked(entries));
    t.is(error?.message, message);
  }
});
