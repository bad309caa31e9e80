import test from 'ava';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ignoreRules, loadIgnoreRules, parseIgnoreFile } from '../../engine/context/ignore.js';

test('ignore files: comments, blank lines, leading slashes and exceptions', (t) => {
  t.deepEqual(parseIgnoreFile('# comment\n\n/node_modules/\n*.log\n!keep.log\n  spaced  \n'), [
    'node_modules',
    '*.log',
    '!keep.log',
    'spaced',
  ]);
});

test('patterns follow Docker: ** crosses directories, ! re-includes', (t) => {
  const rules = ignoreRules(['**/*.tmp', 'build', '!build/keep.txt', '*.log']);
  t.true(rules.ignores('a/b/c.tmp'));
  t.true(rules.ignores('x.tmp'));
  t.true(rules.ignores('build/out.o'));
  t.false(rules.ignores('build/keep.txt'));
  t.true(rules.ignores('top.log'));
  t.false(rules.ignores('dir/nested.log'), '* does not cross directories');
  t.false(rules.ignores(''), 'the context root itself is never ignored');
});

test('<Dockerfile>.dockerignore wins over .dockerignore', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-test-ign-'));
  await writeFile(join(dir, '.dockerignore'), 'a\n');
  await writeFile(join(dir, 'prod.Dockerfile.dockerignore'), 'b\n');
  t.deepEqual((await loadIgnoreRules(dir, join(dir, 'prod.Dockerfile'))).patterns, ['b']);
  t.deepEqual((await loadIgnoreRules(dir, join(dir, 'Dockerfile'))).patterns, ['a']);
});
