// Unit: moby/patternmatcher's rules as COPY --exclude and --parents apply them: `*` within a
// directory, `**` across directories, a match of a parent directory matching what is under it,
// `!exceptions` in order, results carried from a directory to its entries.
import test from 'ava';
import { PathPatterns } from '../../engine/copy/path-patterns.js';

const matches = (patterns: string[], path: string) => new PathPatterns(patterns).matches(path, undefined).matched;

test('* stays in one directory, ** crosses any number of them', (t) => {
  t.true(matches(['*.md'], 'README.md'));
  t.false(matches(['*.md'], 'docs/README.md'));
  t.true(matches(['**/*.md'], 'docs/a/README.md'));
  t.true(matches(['**/*.md'], 'README.md'));
  t.true(matches(['src/**/*.txt'], 'src/a.txt'));
  t.true(matches(['src/**/*.txt'], 'src/x/y/c.txt'));
  t.false(matches(['src/**/*.txt'], 'other/c.txt'));
  t.true(matches(['**'], 'anything/at/all'));
  t.true(matches(['a/**'], 'a/b/c'));
});

test('a path matches when a parent directory does; exceptions undo a match in order', (t) => {
  t.true(matches(['build'], 'build/out/x.o'));
  t.true(matches(['*/tmp'], 'a/tmp/file'));
  t.false(matches(['*.log', '!keep.log'], 'keep.log'));
  t.true(matches(['*.log', '!keep.log', 'keep*'], 'keep.log'));
});

test('results carried from a directory are what a fresh match gives', (t) => {
  const patterns = new PathPatterns(['src/*/x.txt', 'docs']);
  const src = patterns.matches('src', undefined);
  const a = patterns.matches('src/a', src.inherited);
  t.false(a.matched);
  t.true(patterns.matches('src/a/x.txt', a.inherited).matched);
  const docs = patterns.matches('docs', undefined);
  t.true(patterns.matches('docs/deep/file', patterns.matches('docs/deep', docs.inherited).inherited).matched);
});
