// Unit: digesting what a COPY reads stops at once when the build is cancelled, also in the middle of
// a large file; hard links count, mtimes do not.
import test from 'ava';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentDigestOf } from '../../engine/cache/content-digest.js';
import { ignoreRules } from '../../engine/context/ignore.js';
import { resolveSources } from '../../engine/copy/resolve.js';
import { ContextFs } from '../../engine/copy/source-fs.js';

test('an abort while a large file is hashed rejects promptly', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-unit-digest-'));
  try {
    // Sparse: 16 GiB that take a minute to hash and no disk.
    await writeFile(join(dir, 'big.bin'), '');
    await truncate(join(dir, 'big.bin'), 16 * 1024 * 1024 * 1024);
    const fs = new ContextFs(dir, ignoreRules([]));
    const items = (await resolveSources(fs, ['big.bin'])).map((item) => ({ fs, item }));
    const controller = new AbortController();
    const hashing = contentDigestOf(items, [], undefined, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const aborted = Date.now();
    controller.abort(new Error('interrupted by SIGINT'));
    await t.throwsAsync(hashing, { message: 'interrupted by SIGINT' });
    t.true(Date.now() - aborted < 1000, `stopped after ${Date.now() - aborted} ms`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an aborted signal stops before reading anything', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-unit-digest-'));
  try {
    await writeFile(join(dir, 'a'), 'a');
    const fs = new ContextFs(dir, ignoreRules([]));
    const items = (await resolveSources(fs, ['a'])).map((item) => ({ fs, item }));
    const controller = new AbortController();
    controller.abort(new Error('cancelled first'));
    await t.throwsAsync(contentDigestOf(items, [], undefined, controller.signal), { message: 'cancelled first' });
    t.regex((await contentDigestOf(items, [])).digest, /^sha256:/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('hard links are part of the digest: two names of one file differ from two equal files; mtimes are not', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-unit-digest-'));
  try {
    const { link, utimes } = await import('node:fs/promises');
    const digest = async () => {
      const fs = new ContextFs(dir, ignoreRules([]));
      const items = (await resolveSources(fs, ['d'])).map((item) => ({ fs, item }));
      return (await contentDigestOf(items, [])).digest;
    };
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'd'));
    await writeFile(join(dir, 'd/a'), 'same\n');
    await writeFile(join(dir, 'd/b'), 'same\n');
    const copied = await digest();
    await rm(join(dir, 'd/b'));
    await link(join(dir, 'd/a'), join(dir, 'd/b'));
    const linked = await digest();
    t.not(linked, copied, '`ln` instead of `cp` changes what COPY writes, so the key');
    await utimes(join(dir, 'd/a'), new Date(0), new Date(0));
    t.is(await digest(), linked, 'touching the file keeps the key');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
