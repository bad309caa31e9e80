// Unit: the one tar reader — entries in order, what a handler leaves unread is skipped, an early
// stop drops the rest, and an error of a handler or of the archive ends the read with that error.
import test from 'ava';
import { PassThrough, type Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { readEntry, readTar } from '../../engine/util/tar.js';

function archive(files: Array<[string, string]>): Readable {
  const pack = tarStream.pack();
  for (const [name, body] of files) pack.entry({ name }, body);
  pack.finalize();
  return pack as unknown as Readable;
}

const files: Array<[string, string]> = [
  ['a.txt', 'alpha'],
  ['big.bin', 'x'.repeat(200_000)],
  ['c.json', '{"c":3}'],
];

test('every entry in order; unread bodies are skipped', async (t) => {
  const seen: string[] = [];
  await readTar(archive(files), async (header, body) => {
    seen.push(header.name);
    if (header.name === 'c.json') t.deepEqual(JSON.parse((await readEntry(body)).toString()), { c: 3 });
  });
  t.deepEqual(seen, ['a.txt', 'big.bin', 'c.json']);
});

test('returning false stops reading and destroys the archive', async (t) => {
  const seen: string[] = [];
  const source = archive(files);
  await readTar(source, (header) => {
    seen.push(header.name);
    return header.name === 'big.bin' ? false : undefined;
  });
  t.deepEqual(seen, ['a.txt', 'big.bin']);
  t.true(source.destroyed);
});

test('a handler error or an archive error rejects the read', async (t) => {
  await t.throwsAsync(
    readTar(archive(files), async () => {
      throw new Error('handler failed');
    }),
    { message: 'handler failed' },
  );
  const broken = new PassThrough();
  const reading = readTar(broken, () => undefined);
  broken.write(Buffer.alloc(100));
  broken.destroy(new Error('connection reset'));
  await t.throwsAsync(reading, { message: /connection reset|premature|unexpected/i });
});
