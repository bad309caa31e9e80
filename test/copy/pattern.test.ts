import test from 'ava';
import { hasWildcard, matchPath } from '../../engine/copy/pattern.js';

const cases: Array<[string, string, boolean]> = [
  ['*.go', 'main.go', true],
  ['*.go', 'cmd/main.go', false],
  ['cmd/*/main.go', 'cmd/server/main.go', true],
  ['cmd/*/main.go', 'cmd/a/b/main.go', false],
  ['file?.txt', 'file1.txt', true],
  ['file?.txt', 'file10.txt', false],
  ['file[0-9].txt', 'file7.txt', true],
  ['file[^0-9].txt', 'file7.txt', false],
  ['file[^0-9].txt', 'fileX.txt', true],
  ['\\*.txt', '*.txt', true],
  ['\\*.txt', 'a.txt', false],
  ['*', 'anything', true],
  ['*', 'a/b', false],
  ['a[', 'a[', false],
];

for (const [pattern, name, expected] of cases) {
  test(`matchPath(${JSON.stringify(pattern)}, ${JSON.stringify(name)}) is ${expected}`, (t) => {
    t.is(matchPath(pattern, name), expected);
  });
}

test('hasWildcard sees *, ? and [ but not escaped ones', (t) => {
  t.true(hasWildcard('src/*.go'));
  t.true(hasWildcard('a?'));
  t.true(hasWildcard('a[bc]'));
  t.false(hasWildcard('plain/path.txt'));
  t.false(hasWildcard('esc\\*aped'));
});
