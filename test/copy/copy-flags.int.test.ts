// Integration: COPY/ADD flags Engine 20.10's BuildKit predates, so the expected images come from the
// Dockerfile reference (and BuildKit's exclude_patterns_test.go for --exclude): --exclude (several,
// with `**`) on COPY and ADD, --parents with `./` pivots and wildcards, --link, and ADD of URLs from a
// server on 127.0.0.1 (--checksum, --unpack, Last-Modified as the file's mtime).
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { build } from '../../engine/build.js';
import { DockerfileSyntaxError } from '../../engine/dockerfile/errors.js';
import { imageFiles, madeByThisFile, makeContext, runImage, uniqueName } from '../support/docker.js';
import { startFileServer } from '../support/servers.js';

const { cleanup, tags } = madeByThisFile();

const tree = {
  'src/README.md': 'readme',
  'src/a/x.txt': 'ax',
  'src/a/notes.md': 'notes',
  'src/b/x.txt': 'bx',
  'src/b/c/x.txt': 'bcx',
  'x/y/a.txt': 'ya',
  'x/y/b.txt': 'yb',
  'x/z.txt': 'z',
  'homefile.txt': 'h1',
  'homer.md': 'h2',
};

async function buildImage(dockerfile: string, files: Record<string, string> = tree): Promise<Set<string>> {
  const tag = await buildTag(dockerfile, files);
  return new Set((await imageFiles(tag)).keys());
}

async function buildTag(dockerfile: string, files: Record<string, string> = tree): Promise<string> {
  const context = await makeContext({ ...files, Dockerfile: dockerfile });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-copy-flags-cache-'));
  cleanup.push(context, cacheDir);
  const tag = `${uniqueName('msbuild-copy-flags')}:latest`;
  tags.push(tag);
  await build({ context, tags: [tag], pull: 'never', cacheDir, network: 'none' });
  return tag;
}

const under = (files: Set<string>, dir: string) => [...files].filter((f) => f.startsWith(`${dir}/`)).sort();

test('COPY --exclude=*.md src/ /s/ leaves out the .md files at the top of src (the example of issue 15)', async (t) => {
  const files = await buildImage('FROM scratch\nCOPY --exclude=*.md src/ /s/\n');
  t.deepEqual(under(files, '/s'), [
    '/s/a',
    '/s/a/notes.md',
    '/s/a/x.txt',
    '/s/b',
    '/s/b/c',
    '/s/b/c/x.txt',
    '/s/b/x.txt',
  ]);
});

test('--exclude takes several patterns and ** reaches every depth, on COPY and ADD', async (t) => {
  const files = await buildImage(
    'FROM scratch\nCOPY --exclude=**/*.md --exclude=b/c src/ /s/\nADD --exclude=**/x.txt src /a/\nCOPY --exclude=*.txt hom* /mydir/\n',
  );
  t.deepEqual(under(files, '/s'), ['/s/a', '/s/a/x.txt', '/s/b', '/s/b/x.txt']);
  t.deepEqual(under(files, '/a'), ['/a/README.md', '/a/a', '/a/a/notes.md', '/a/b', '/a/b/c']);
  // The reference: excluded files are not copied even when the source pattern matches them.
  t.deepEqual(under(files, '/mydir'), ['/mydir/homer.md']);
});

test('--exclude changes the cache key: a build with other excludes copies other files', async (t) => {
  const one = await buildImage('FROM scratch\nCOPY --exclude=a src/ /s/\n');
  const two = await buildImage('FROM scratch\nCOPY --exclude=b src/ /s/\n');
  t.false(one.has('/s/a/x.txt'));
  t.true(two.has('/s/a/x.txt'));
  t.false(two.has('/s/b/x.txt'));
});

test('COPY --parents keeps parent directories: src/*/x.txt, a ./ pivot, and **', async (t) => {
  const files = await buildImage(
    'FROM scratch\nCOPY --parents src/*/x.txt /p/\nCOPY --parents ./x/./y/*.txt /pivot/\nCOPY --parents ./src/**/*.txt /star/\nCOPY --parents ./x/z.txt homefile.txt /two/\n',
  );
  t.deepEqual(under(files, '/p'), ['/p/src', '/p/src/a', '/p/src/a/x.txt', '/p/src/b', '/p/src/b/x.txt']);
  t.deepEqual(under(files, '/pivot'), ['/pivot/y', '/pivot/y/a.txt', '/pivot/y/b.txt']);
  t.deepEqual(under(files, '/star'), [
    '/star/src',
    '/star/src/a',
    '/star/src/a/x.txt',
    '/star/src/b',
    '/star/src/b/c',
    '/star/src/b/c/x.txt',
    '/star/src/b/x.txt',
  ]);
  t.deepEqual(under(files, '/two'), ['/two/homefile.txt', '/two/x', '/two/x/z.txt']);
});

test('COPY --parents of a path that does not exist fails; a wildcard matching nothing copies nothing', async (t) => {
  await t.throwsAsync(buildImage('FROM scratch\nCOPY --parents nowhere/file.txt /p/\n'), {
    message: /"nowhere\/file\.txt" not found in the build context/,
  });
  const files = await buildImage('FROM scratch\nCOPY --parents src/*/none.txt /p/\nCOPY homer.md /\n');
  t.deepEqual(under(files, '/p'), []);
});

test('COPY --link writes its parents anew and replaces a symlink in the destination path', async (t) => {
  const base =
    'FROM busybox\nRUN mkdir -p /real /owned && ln -s /real /linked && chown 1000:1000 /owned && chmod 700 /owned\n';
  const tag = await buildTag(
    `${base}COPY --link homefile.txt /linked/\nCOPY --link --chown=7:8 homer.md /owned/\nCOPY homer.md /real/plain.md\n`,
  );
  const files = await imageFiles(tag);
  t.is(files.get('/linked')?.type, 'directory');
  t.true(files.has('/linked/homefile.txt'));
  t.false(files.has('/real/homefile.txt'));
  t.like(files.get('/owned'), { uid: 7, gid: 8, mode: 0o755 });
  t.like(files.get('/owned/homer.md'), { uid: 7, gid: 8 });
  t.is((await runImage(tag, ['cat', '/linked/homefile.txt'])).trim(), 'h1');
  // Without --link, the copy goes through the symlink and keeps the directory's owner.
  const plain = await imageFiles(await buildTag(`${base}COPY homefile.txt /linked/\nCOPY homer.md /owned/\n`));
  t.true(plain.has('/real/homefile.txt'));
  t.like(plain.get('/owned'), { uid: 1000, gid: 1000, mode: 0o700 });
});

test('COPY --link --chown=NAME is refused (a linked copy cannot look names up); --link with --chmod copies as without', async (t) => {
  const error = await t.throwsAsync(buildImage('FROM busybox\nCOPY --link --chown=nobody homer.md /x/\n'), {
    instanceOf: DockerfileSyntaxError,
  });
  t.regex(error?.message ?? '', /^--chown=nobody with --link needs numeric IDs/);
  const tag = await buildTag('FROM busybox\nRUN ln -s /tmp /t\nCOPY --link --chmod=600 homer.md /t/\n');
  t.true((await imageFiles(tag)).has('/tmp/homer.md'));
});

async function tarGz(entries: Record<string, string>): Promise<Buffer> {
  const pack = tarStream.pack();
  const body = buffer(pack as unknown as Readable);
  for (const [name, content] of Object.entries(entries)) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  pack.finalize();
  return gzipSync(await body);
}

test('ADD of a URL: Last-Modified is the mtime, --checksum is checked, --unpack=true unpacks it', async (t) => {
  const archive = await tarGz({ 'in/one.txt': 'one' });
  const server = await startFileServer({ '/file.txt': 'remote', '/archive.tar.gz': archive });
  t.teardown(() => server.close());
  const { createHash } = await import('node:crypto');
  const sum = `sha256:${createHash('sha256').update('remote').digest('hex')}`;
  const tag = await buildTag(
    `FROM busybox\nADD --checksum=${sum} ${server.url}/file.txt /f.txt\nADD ${server.url}/archive.tar.gz /packed/\nADD --unpack=true ${server.url}/archive.tar.gz /unpacked/\n`,
  );
  t.is(
    (await runImage(tag, ['stat', '-c', '%Y %a', '/f.txt'])).trim(),
    `${Date.parse('2021-03-04T05:06:07Z') / 1000} 600`,
  );
  const files = await imageFiles(tag);
  t.true(files.has('/packed/archive.tar.gz'));
  t.is(files.get('/unpacked/in/one.txt')?.size, 3);
  const wrong = `sha256:${'0'.repeat(64)}`;
  await t.throwsAsync(buildImage(`FROM busybox\nADD --checksum=${wrong} ${server.url}/file.txt /f.txt\n`), {
    message: new RegExp(`digest mismatch for ${server.url}/file.txt: ${sum} \\(expected: ${wrong}\\)`),
  });
  await t.throwsAsync(buildImage(`FROM busybox\nADD --checksum=md5:abc ${server.url}/file.txt /f.txt\n`), {
    message: /unsupported digest algorithm/,
  });
});

test('ADD --unpack=false keeps a local archive packed; ADD unpacks it by default', async (t) => {
  const context = await makeContext({
    Dockerfile: 'FROM scratch\nADD local.tar.gz /default/\nADD --unpack=false local.tar.gz /kept/\n',
  });
  cleanup.push(context);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(context, 'local.tar.gz'), await tarGz({ 'inside.txt': 'i' }));
  const tag = `${uniqueName('msbuild-copy-flags')}:latest`;
  tags.push(tag);
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-copy-flags-cache-'));
  cleanup.push(cacheDir);
  await build({ context, tags: [tag], pull: 'never', cacheDir, network: 'none' });
  const image = await imageFiles(tag);
  t.true(image.has('/default/inside.txt'));
  t.true(image.has('/kept/local.tar.gz'));
});
