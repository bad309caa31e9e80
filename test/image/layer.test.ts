// Unit: writing a layer tarball stops at once when its signal aborts, also in the middle of a large
// file body, and leaves no partial file.
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { writeLayer, type LayerEntry } from '../../engine/image/layer.js';

test('an abort in the middle of a file body rejects promptly and removes the partial tarball', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-unit-layer-'));
  try {
    const size = 8 * 1024 * 1024 * 1024;
    let produced = 0;
    // An endless-looking body: 8 GiB announced, produced slowly.
    const body = new Readable({
      read() {
        setTimeout(() => {
          produced += 65536;
          this.push(Buffer.alloc(65536));
        }, 1);
      },
    });
    const entries: LayerEntry[] = [
      { path: '/big', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), size, body: () => body },
    ];
    const controller = new AbortController();
    const path = join(dir, 'layer.tar');
    const writing = writeLayer(entries, path, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const aborted = Date.now();
    controller.abort(new Error('interrupted by SIGINT'));
    await t.throwsAsync(writing, { message: 'interrupted by SIGINT' });
    t.true(Date.now() - aborted < 1000);
    t.true(produced > 0 && produced < size);
    t.true(body.destroyed, 'the body stream is destroyed');
    t.false(existsSync(path), 'no partial tarball');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('without an abort the layer is written as before', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-unit-layer-'));
  try {
    const layer = await writeLayer(
      [{ path: '/a', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), body: Buffer.from('hello') }],
      join(dir, 'layer.tar'),
      new AbortController().signal,
    );
    t.regex(layer.diffId, /^sha256:[0-9a-f]{64}$/);
    t.is(layer.contentSize, 5);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
