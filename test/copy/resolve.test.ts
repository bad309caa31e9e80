import test from 'ava';
import { chmod, mkdir, mkdtemp, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentDigestOf } from '../../engine/cache/content-digest.js';
import { ignoreRules } from '../../engine/context/ignore.js';
import { cleanSourcePath, resolveSources, SourceNotFoundError, walkItem } from '../../engine/copy/resolve.js';
import { ContextFs } from '../../engine/copy/source-fs.js';

async function context(patterns: string[] = []) {
  const root = await mkdtemp(join(tmpdir(), 'msbuild-test-ctx-'));
  await mkdir(join(root, 'src/sub'), { recursive: true });
  await writeFile(join(root, 'src/a.go'), 'package a\n');
  await writeFile(join(root, 'src/b.go'), 'package b\n');
  await writeFile(join(root, 'src/sub/c.txt'), 'c\n');
  await writeFile(join(root, 'README.md'), 'readme\n');
  await symlink('src/a.go', join(root, 'link-to-a'));
  await symlink('../../etc/passwd', join(root, 'escape'));
  return { root, fs: new ContextFs(root, ignoreRules(patterns)) };
}

test('sources are cleaned against the root, so ../ cannot leave the context', (t) => {
  t.is(cleanSourcePath('../x'), 'x');
  t.is(cleanSourcePath('/abs/path/'), 'abs/path');
  t.is(cleanSourcePath('.'), '');
  t.is(cleanSourcePath('a/./b/../c'), 'a/c');
});

test('wildcards match whole relative paths; no match is not an error', async (t) => {
  const { fs } = await context();
  const items = await resolveSources(fs, ['src/*.go']);
  t.deepEqual(
    items.map((i) => i.path),
    ['src/a.go', 'src/b.go'],
  );
  t.deepEqual(await resolveSources(fs, ['nothing*']), []);
});

test('a symlink a wildcard matches is followed; one that leads nowhere fails the copy, as in BuildKit', async (t) => {
  const { root, fs } = await context();
  await symlink('src', join(root, 'dir-link'));
  t.deepEqual(
    (await resolveSources(fs, ['li*', 'dir-*'])).map((i) => [i.name, i.path, i.root.type]),
    [
      ['link-to-a', 'src/a.go', 'file'],
      ['dir-link', 'src', 'directory'],
    ],
  );
  await symlink('/nowhere', join(root, 'dangling'));
  await t.throwsAsync(resolveSources(fs, ['d*']), {
    instanceOf: SourceNotFoundError,
    message: /"\/nowhere" not found in the build context/,
  });
});

test('a symlinked source is followed inside the context; escaping links stay inside', async (t) => {
  const { fs } = await context();
  const [item] = await resolveSources(fs, ['link-to-a']);
  t.is(item.name, 'link-to-a');
  t.is(item.path, 'src/a.go');
  t.is(item.root.type, 'file');
  // ../../etc/passwd resolves to <context>/etc/passwd, which does not exist.
  await t.throwsAsync(resolveSources(fs, ['escape']), { instanceOf: SourceNotFoundError });
});

test('missing sources and .dockerignore-d ones are not found', async (t) => {
  const { fs } = await context(['README.md', 'src/sub']);
  await t.throwsAsync(resolveSources(fs, ['missing.txt']), { message: /"missing.txt" not found in the build context/ });
  await t.throwsAsync(resolveSources(fs, ['README.md']), { instanceOf: SourceNotFoundError });
  const [src] = await resolveSources(fs, ['src']);
  const walked = [];
  for await (const node of walkItem(fs, src)) walked.push(node.relative);
  t.deepEqual(walked, ['a.go', 'b.go'], 'ignored subdirectory is not walked');
});

test('content digests ignore mtime but see content and mode changes', async (t) => {
  const { root, fs } = await context();
  const digest = async () =>
    (
      await contentDigestOf(
        (await resolveSources(fs, ['src'])).map((item) => ({ fs, item })),
        [],
      )
    ).digest;
  const first = await digest();
  await utimes(join(root, 'src/a.go'), new Date(2000, 1, 1), new Date(2000, 1, 1));
  t.is(await digest(), first, 'touch keeps the digest');
  await chmod(join(root, 'src/a.go'), 0o755);
  const chmodded = await digest();
  t.not(chmodded, first, 'chmod changes it');
  await writeFile(join(root, 'src/b.go'), 'package changed\n');
  t.not(await digest(), chmodded, 'content changes it');
});

test('--exclude drops matching entries and what is under them', async (t) => {
  const { fs } = await context();
  const [src] = await resolveSources(fs, ['src']);
  const walked = [];
  for await (const node of walkItem(fs, src, ['*.go'])) walked.push(node.relative);
  t.deepEqual(walked, ['sub', 'sub/c.txt']);
  const noSub = [];
  for await (const node of walkItem(fs, src, ['sub'])) noSub.push(node.relative);
  t.deepEqual(noSub, ['a.go', 'b.go']);
});
