// Unit: every key of a bake file is type-checked; a wrong type is one error naming the file, the
// line, the key and the type expected (never a TypeError from deeper in, never a value passed on).
import test from 'ava';
import { BakeError, parseBakeFile, resolveBake } from '../../engine/bake/config.js';

const target = (lines: string) => `targets:\n  api:\n    # the key under test is on line 4\n${lines.replace(/^(?=.)/gm, '    ')}`;

const wrong: Array<[string, string, RegExp]> = [
  ['context: 5\n', 'context', /"context" in target api must be a string, not the number 5$/],
  ['dockerfile: [a]\n', 'dockerfile', /"dockerfile" in target api must be a string, not a list$/],
  ['target: true\n', 'target', /"target" in target api must be a string, not the boolean true$/],
  ['no-cache: "yes"\n', 'no-cache', /"no-cache" in target api must be true or false, not the string "yes"$/],
  ['no-cache: 1\n', 'no-cache', /"no-cache" in target api must be true or false, not the number 1$/],
  ['tags: {x: 1}\n', 'tags', /"tags" in target api must be a string or a list of strings, not a mapping$/],
  ['tags: [a, 3]\n', 'tags', /"tags" in target api must be a string or a list of strings, but item 2 is the number 3$/],
  ['outputs: 7\n', 'outputs', /"outputs" in target api must be a string or a list of strings, not the number 7$/],
  ['cache-from: {a: b}\n', 'cache-from', /"cache-from" .* not a mapping$/],
  ['cache-to: [a, b]\n', 'cache-to', /"cache-to" in target api must be a string, not a list$/],
  ['inherits: {a: 1}\n', 'inherits', /"inherits" in target api must be a string or a list of strings, not a mapping$/],
  ['platform: 2024-01-02\n', 'platform', /"platform" in target api must be a string, not a date/],
  ['network: bridge\n', 'network', /"network" in target api must be one of default, none, host, not the string "bridge"$/],
  ['pull: true\n', 'pull', /"pull" in target api must be one of always, missing, never, not the boolean true$/],
  ['args: 5\n', 'args', /"args" in target api must be a mapping or a list of KEY=VALUE strings, not the number 5$/],
  ['args: [A=1, 2]\n', 'args', /"args" in target api must be .*, but item 2 is the number 2$/],
  ['labels: [x]\n', 'labels', /^never$/],
  ['context:\n', 'context', /"context" in target api must be a string, not empty$/],
];

for (const [lines, key, message] of wrong) {
  test(`${key}: ${lines.trim()}`, (t) => {
    if (message.source === '^never$') {
      t.notThrows(() => resolveBake(parseBakeFile(target(lines), 'msbuild.yaml', '/repo'), []), 'a compose-style list of names is valid');
      return;
    }
    const error = t.throws(() => resolveBake(parseBakeFile(target(lines), 'msbuild.yaml', '/repo'), []), { instanceOf: BakeError });
    t.regex(error?.message ?? '', message);
    t.true(error?.message.startsWith('msbuild.yaml:4: '), error?.message);
  });
}

test('a value nested one level down is checked too, at its own line', (t) => {
  const text = target('args:\n  OK: 1\n  BAD: {x: 1}\n');
  t.throws(() => parseBakeFile(text, 'msbuild.yaml', '/repo'), { message: 'msbuild.yaml:6: "BAD" in args in target api must be a string, a number or true/false, not a mapping' });
});

test('numbers and booleans are fine as args and label values, written as YAML reads them', (t) => {
  const [api] = resolveBake(parseBakeFile(target('args: {PORT: 8080, DEBUG: false, EMPTY: }\n'), 'msbuild.yaml', '/repo'), []);
  t.deepEqual(api.args, { PORT: '8080', DEBUG: 'false', EMPTY: '' });
});

test('a target, the targets and the groups must be mappings', (t) => {
  t.throws(() => parseBakeFile('targets:\n  api: 5\n', 'm.yaml', '/'), { message: 'm.yaml:2: target api must be a mapping, not the number 5' });
  t.throws(() => parseBakeFile('targets: [api]\n', 'm.yaml', '/'), { message: 'm.yaml:1: "targets" at the top must be a mapping, not a list' });
  t.throws(() => parseBakeFile('groups: x\n', 'm.yaml', '/'), { message: 'm.yaml:1: "groups" at the top must be a mapping, not the string "x"' });
  t.throws(() => parseBakeFile('default: {a: 1}\n', 'm.yaml', '/'), { message: /^m\.yaml:1: "default" at the top must be a string or a list of strings/ });
  t.throws(() => parseBakeFile('- a\n', 'm.yaml', '/'), { message: 'm.yaml: expected a mapping at the top' });
  t.like(resolveBake(parseBakeFile('targets:\n  api:\n', 'm.yaml', '/r'), [])[0], { name: 'api', context: '/r' }, '`api:` alone is a target with the defaults');
});

test('compose build sections are checked key by key', (t) => {
  const compose = (build: string) => `services:\n  api:\n    image: api:1\n    build:\n${build}`;
  t.throws(() => parseBakeFile(compose('      context: 5\n'), 'compose.yaml', '/'), {
    message: 'compose.yaml:5: "context" in the build section of service api must be a string, not the number 5',
  });
  t.throws(() => parseBakeFile(compose('      no_cache: "yes"\n'), 'compose.yaml', '/'), { message: /^compose\.yaml:5: "no_cache" .* must be true or false/ });
  t.throws(() => parseBakeFile(compose('      tags: {a: 1}\n'), 'compose.yaml', '/'), { message: /^compose\.yaml:5: "tags" .* not a mapping$/ });
  t.throws(() => parseBakeFile(compose('      cache_to: [a, b]\n'), 'compose.yaml', '/'), { message: /^compose\.yaml:5: "cache_to" .*: msbuild exports one cache, not 2$/ });
  t.throws(() => parseBakeFile('services:\n  api:\n    build: 5\n', 'compose.yaml', '/'), { message: 'compose.yaml:3: "build" in service api must be a string or a mapping, not the number 5' });
  t.throws(() => parseBakeFile('services:\n  api:\n    image: 5\n    build: .\n', 'compose.yaml', '/'), { message: 'compose.yaml:3: "image" in service api must be a string, not the number 5' });
  const [api] = resolveBake(parseBakeFile(compose('      context: .\n      pull: true\n      cache_to: ["type=local,dest=/c"]\n      no_cache: true\n'), 'compose.yaml', '/r'), []);
  t.like(api, { pull: 'always', cacheTo: 'type=local,dest=/c', noCache: true, tags: ['api:1'] });
});

test('a YAML syntax error is file:line:column, with the lines around it', (t) => {
  const error = t.throws(() => parseBakeFile('targets:\n  a: [\n', 'm.yaml', '/'), { instanceOf: BakeError });
  t.regex(error?.message ?? '', /^m\.yaml:3:1: unexpected end of the stream within a flow collection$/);
  t.regex((error as BakeError & { detail?: string }).detail ?? '', /2 \| {3}a: \[/);
});
