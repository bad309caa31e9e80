// Integration: nothing outside the context is ever read, and ADD of a hostile archive never writes
// outside its destination (in the image or on the host): `../`, absolute paths, symlinks out of the
// context, symlink-then-write and hard links to host files; the last two fail the step with the
// path, as BuildKit's unpacking does.
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import tarStream from 'tar-stream';
import { BuildError } from '../../engine/build-error.js';
import { build } from '../../engine/build.js';
import { imageFiles, removeDir, removeImages, requireDaemon, runImage, uniqueName } from '../support/docker.js';

const cleanup: Array<() => Promise<unknown>> = [];
test.before(requireDaemon);
test.after.always(async () => {
  for (const step of cleanup) await step().catch(() => undefined);
});

/** A context inside a parent directory that holds a file the build must never see. */
async function contextBesideASecret(): Promise<{ parent: string; context: string }> {
  const parent = await mkdtemp(join(tmpdir(), 'msbuild-escape-'));
  cleanup.push(() => removeDir(parent));
  await writeFile(join(parent, 'host-secret.txt'), 'HOST SECRET\n');
  const context = join(parent, 'context');
  await mkdir(context);
  return { parent, context };
}

async function buildWith(context: string, dockerfile: string) {
  await writeFile(join(context, 'Dockerfile'), dockerfile);
  const tag = `${uniqueName('msbuild-escape')}:latest`;
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-escape-cache-'));
  cleanup.push(
    () => removeImages(tag),
    () => removeDir(cacheDir),
  );
  const result = await build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir });
  return { tag, result };
}

test('COPY ../x and COPY /abs are resolved inside the context, never outside it', async (t) => {
  const { context } = await contextBesideASecret();
  await t.throwsAsync(buildWith(context, 'FROM busybox\nCOPY ../host-secret.txt /x\n'), {
    instanceOf: BuildError,
    message: /not found in the build context/,
  });
  await t.throwsAsync(buildWith(context, 'FROM busybox\nCOPY /etc/passwd /x\n'), {
    message: /not found in the build context/,
  });
  // With the same name inside the context, that file is the one copied.
  await writeFile(join(context, 'host-secret.txt'), 'context copy\n');
  const { tag } = await buildWith(context, 'FROM busybox\nCOPY ../host-secret.txt /x\n');
  t.is(await runImage(tag, ['cat', '/x']), 'context copy\n');
});

test('symlinks pointing out of the context are followed only inside it, and copied as links', async (t) => {
  const { context } = await contextBesideASecret();
  await symlink('../host-secret.txt', join(context, 'relative-link'));
  await symlink('/etc/passwd', join(context, 'absolute-link'));
  await mkdir(join(context, 'dir'));
  await symlink('../../host-secret.txt', join(context, 'dir/inner-link'));
  await t.throwsAsync(buildWith(context, 'FROM busybox\nCOPY relative-link /x\n'), { message: /not found/ });
  await t.throwsAsync(buildWith(context, 'FROM busybox\nCOPY absolute-link /x\n'), { message: /not found/ });
  const { tag } = await buildWith(context, 'FROM busybox\nCOPY dir/ /dir/\n');
  const files = await imageFiles(tag);
  t.is(files.get('/dir/inner-link')?.type, 'symlink');
  t.is(files.get('/dir/inner-link')?.linkname, '../../host-secret.txt');
});

test('.dockerignore patterns cannot reach outside the context', async (t) => {
  const { context } = await contextBesideASecret();
  await writeFile(join(context, '.dockerignore'), '*\n!../host-secret.txt\n!keep.txt\n');
  await writeFile(join(context, 'keep.txt'), 'keep\n');
  const { tag } = await buildWith(context, 'FROM busybox\nCOPY . /ctx/\n');
  const files = [...(await imageFiles(tag)).keys()].filter((p) => p.startsWith('/ctx'));
  t.deepEqual(files.sort(), ['/ctx', '/ctx/keep.txt']);
});

/** A tar of `entries` at `path`. */
async function archive(
  path: string,
  entries: Array<[Partial<tarStream.Header> & { name: string }, string?]>,
): Promise<void> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const [header, body] of entries) pack.entry(header, body ?? Buffer.alloc(0));
  pack.finalize();
  await done;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, Buffer.concat(chunks));
}

test('ADD of a hostile archive writes only inside the destination, in the image and on the host', async (t) => {
  const { parent, context } = await contextBesideASecret();
  await archive(join(context, 'bad.tar'), [
    [{ name: 'ok.txt' }, 'fine\n'],
    [{ name: '../../escape.txt' }, 'escaped\n'],
    [{ name: '/abs.txt' }, 'absolute\n'],
    [{ name: 'up', type: 'symlink', linkname: '../../../..' }],
    [{ name: 'up/tmp/host-pwned' }, 'on the host?\n'],
    [{ name: 'sub', type: 'directory' }],
    [{ name: 'inner', type: 'symlink', linkname: 'sub' }],
    [{ name: 'inner/through' }, 'through the archive’s own link\n'],
  ]);
  const { tag } = await buildWith(context, 'FROM busybox\nADD bad.tar /dest/\n');
  const files = await imageFiles(tag);
  t.is(await runImage(tag, ['cat', '/dest/ok.txt']), 'fine\n');
  t.true(files.has('/dest/escape.txt'), '../ entries stay under the destination');
  t.true(files.has('/dest/abs.txt'), 'absolute entries are relative to the destination');
  t.is(files.get('/dest/up')?.type, 'symlink');
  // As BuildKit unpacks (a chroot at the destination): a link out of it leads to its root.
  t.true(files.has('/dest/tmp/host-pwned'));
  t.false(files.has('/tmp/host-pwned'));
  t.true(files.has('/dest/sub/through'), 'a write through the archive’s own link lands where it leads, inside');
  // And nothing appeared on the host.
  t.false(existsSync(join(parent, 'escape.txt')));
  t.false(existsSync(join(dirname(parent), 'escape.txt')));
  t.false(existsSync('/abs.txt'));
  t.false(existsSync('/tmp/host-pwned'));
});

test('ADD of an archive that writes through a link to nowhere, or hard-links a path outside it, fails with the path, as BuildKit does', async (t) => {
  const { context } = await contextBesideASecret();
  await archive(join(context, 'through.tar'), [
    [{ name: 'evil', type: 'symlink', linkname: '/etc' }],
    [{ name: 'evil/pwned' }, 'written through a symlink\n'],
  ]);
  await archive(join(context, 'hard.tar'), [[{ name: 'hardlink', type: 'link', linkname: '/etc/passwd' }]]);
  const through = await t.throwsAsync(buildWith(context, 'FROM busybox\nADD through.tar /dest/\n'), {
    instanceOf: BuildError,
  });
  t.regex(
    through?.message ?? '',
    /ADD through\.tar \/dest\/: Error processing tar file: open \/evil\/pwned: no such file or directory$/,
  );
  const hard = await t.throwsAsync(buildWith(context, 'FROM busybox\nADD hard.tar /dest/\n'), {
    instanceOf: BuildError,
  });
  t.regex(
    hard?.message ?? '',
    /ADD hard\.tar \/dest\/: Error processing tar file: link \/etc\/passwd \/hardlink: no such file or directory$/,
  );
});

test('RUN --mount=type=bind reads the context as COPY does: no symlink out of it, no ignored file', async (t) => {
  const { context } = await contextBesideASecret();
  await symlink('/etc', join(context, 'hostlink'));
  await symlink('/etc/hostname', join(context, 'filelink'));
  await symlink('../host-secret.txt', join(context, 'parentlink'));
  await symlink('inside.txt', join(context, 'insidelink'));
  await writeFile(join(context, 'inside.txt'), 'inside\n');
  await writeFile(join(context, 'ignored.txt'), 'IGNORED\n');
  await writeFile(join(context, '.dockerignore'), 'ignored.txt\n');
  // BuildKit on this daemon fails each of these with `"/<source>" not found: not found`.
  for (const source of ['hostlink/hostname', 'filelink', 'parentlink', 'ignored.txt', '../host-secret.txt']) {
    await t.throwsAsync(
      buildWith(context, `FROM busybox\nRUN --mount=type=bind,source=${source},target=/m cat /m\n`),
      { instanceOf: BuildError, message: /not found in the build context/ },
      source,
    );
  }
  // A link inside the context is followed; the whole context mounted has no ignored file, and its links stay links.
  const { tag } = await buildWith(
    context,
    'FROM busybox\nRUN --mount=type=bind,source=insidelink,target=/m --mount=type=bind,target=/ctx cat /m > /out && ls -A /ctx > /listed && readlink /ctx/hostlink > /link\n',
  );
  t.is(await runImage(tag, ['cat', '/out']), 'inside\n');
  const listed = (await runImage(tag, ['cat', '/listed'])).split('\n').filter(Boolean);
  t.false(listed.includes('ignored.txt'));
  t.true(listed.includes('inside.txt'));
  t.is(await runImage(tag, ['cat', '/link']), '/etc\n');
});
