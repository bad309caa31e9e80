// Unit (no Docker needed): `msbuild bake` checks its flags as `msbuild build` does, before reading
// anything; file errors print once with their line and no stack; `--print` output reads back in.
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { msbuild } from '../support/cli.js';
import { makeContext, removeDir } from '../support/docker.js';

const cleanup: string[] = [];
test.after.always(async () => {
  for (const dir of cleanup) await removeDir(dir);
});

async function bakeFile(text: string): Promise<string> {
  const dir = await makeContext({ Dockerfile: 'FROM busybox\n' });
  cleanup.push(dir);
  const path = join(dir, 'msbuild.yaml');
  await writeFile(path, text);
  return path;
}

// No daemon: a flag that got past its check would fail on the connection instead.
const noDaemon = { env: { DOCKER_HOST: 'unix:///nonexistent.sock' } };

const flags: Array<[string[], string]> = [
  [['-j', 'abc'], 'error: invalid --jobs "abc": expected a positive integer\n'],
  [['--jobs', '0'], 'error: invalid --jobs "0": expected a positive integer\n'],
  [['--network', 'bogus'], 'error: invalid --network "bogus": use default, none or host\n'],
  [['--progress', 'fancy'], 'error: invalid --progress "fancy": use auto, tty, plain, json or quiet\n'],
  [['--pull=sometimes'], 'error: invalid --pull "sometimes": use always, missing or never\n'],
];

for (const [args, expected] of flags) {
  test(`bake ${args.join(' ')} is refused up front, as build refuses it`, async (t) => {
    const file = await bakeFile('targets:\n  a: {}\n');
    const bake = await msbuild(['bake', '-f', file, ...args], noDaemon);
    t.is(bake.code, 1);
    t.is(bake.stderr, expected);
    t.is(bake.stdout, '');
    const build = await msbuild(['build', ...args, '.'], noDaemon);
    t.is(build.stderr, expected, 'the same message as msbuild build');
  });
}

test('a wrong type is one line: file, line, key, expected type; no stack', async (t) => {
  const file = await bakeFile('targets:\n  a:\n    context: 5\n');
  const result = await msbuild(['bake', '-f', file, '--print']);
  t.is(result.code, 1);
  t.is(result.stderr, `error: ${file}:3: "context" in target a must be a string, not the number 5\n`);
});

test('--print output is a bake file msbuild reads back to the same output', async (t) => {
  const file = await bakeFile('groups:\n  default: {targets: [a]}\ntargets:\n  a:\n    no-cache: true\n    cache-from: [x]\n    args: {A: 1}\n  b: {}\n');
  const printed = await msbuild(['bake', '-f', file, '--print', '--set', 'a.cache-to=type=local,dest=/c']);
  t.is(printed.code, 0, printed.stderr);
  t.regex(printed.stdout, /\n {4}no-cache: true\n/);
  t.regex(printed.stdout, /\n {4}cache-from:\n/);
  const again = await bakeFile(printed.stdout);
  const reprinted = await msbuild(['bake', '-f', again, '--print']);
  t.is(reprinted.code, 0, reprinted.stderr);
  t.is(reprinted.stdout, printed.stdout);
});
