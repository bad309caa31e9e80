// Unit: groups as msbuild writes them (a list) and as `docker buildx bake` does (a mapping with
// `targets:`), in either style; a member that names nothing is an error at the group's line.
import test from 'ava';
import { parseBakeFile, resolveBake } from '../../engine/bake/config.js';

const targets = 'targets:\n  a: {}\n  b: {}\n  c: {}\n';

test('buildx groups: a mapping with targets, block or flow; nested groups', (t) => {
  const file = parseBakeFile(`groups:\n  default:\n    targets: [a, b]\n  all: {targets: [default, c]}\n  one:\n    targets: c\n${targets}`, 'm.yaml', '/');
  t.deepEqual(resolveBake(file, []).map((x) => x.name), ['a', 'b']);
  t.deepEqual(resolveBake(file, ['all']).map((x) => x.name), ['a', 'b', 'c']);
  t.deepEqual(resolveBake(file, ['one']).map((x) => x.name), ['c']);
});

test('list groups and the top-level default still work', (t) => {
  const file = parseBakeFile(`default: [c]\ngroups:\n  g: [a, b]\n${targets}`, 'm.yaml', '/');
  t.deepEqual(resolveBake(file, []).map((x) => x.name), ['c']);
  t.deepEqual(resolveBake(file, ['g']).map((x) => x.name), ['a', 'b']);
});

test('bad groups are errors at their line', (t) => {
  t.throws(() => parseBakeFile(`groups:\n  g:\n    target: [a]\n${targets}`, 'm.yaml', '/'), { message: 'm.yaml:3: unknown key "target" in group g (known: targets)' });
  t.throws(() => parseBakeFile(`groups:\n  g: 5\n${targets}`, 'm.yaml', '/'), {
    message: 'm.yaml:2: "g" in groups must be a list of targets and groups, or a mapping with "targets", not the number 5',
  });
  t.throws(() => parseBakeFile(`groups:\n  g: {targets: {a: 1}}\n${targets}`, 'm.yaml', '/'), { message: /^m\.yaml:2: "targets" in group g must be a string or a list of strings, not a mapping$/ });
  const unknown = parseBakeFile(`groups:\n  g:\n    targets: [a, nope]\n${targets}`, 'm.yaml', '/');
  t.throws(() => resolveBake(unknown, ['g']), { message: 'm.yaml:3: unknown target or group "nope" in group g (targets: a, b, c)' });
  const cycle = parseBakeFile(`groups:\n  g: [h]\n  h: [g]\n${targets}`, 'm.yaml', '/');
  t.throws(() => resolveBake(cycle, ['g']), { message: 'm.yaml:3: group cycle: g -> h -> g' });
});

test('an unknown parent is an error at the inherits line', (t) => {
  const file = parseBakeFile('targets:\n  a:\n    context: .\n    inherits: [nope]\n', 'm.yaml', '/');
  t.throws(() => resolveBake(file, []), { message: 'm.yaml:4: unknown target "nope" (inherited by a)' });
});
