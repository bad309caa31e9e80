// Integration: `msbuild bake --progress` shows every target through the renderers `msbuild build`
// uses: json is JSON Lines of every target's events, quiet prints nothing but the image IDs, plain
// ends with each target's summary once, in the order the targets were asked for.
import test from 'ava';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { msbuild } from '../support/cli.js';
import { madeByThisFile, makeContext, uniqueName } from '../support/docker.js';

const { cleanup, tags } = madeByThisFile();

async function project(): Promise<{ file: string; cacheDir: string; names: string[] }> {
  const marker = uniqueName('bake-progress');
  const context = await makeContext({
    Dockerfile: `FROM busybox AS one\nRUN echo ${marker} one > /one\nFROM busybox AS two\nRUN echo ${marker} two > /two\n`,
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-bake-cli-cache-'));
  cleanup.push(context, cacheDir);
  const names = ['one', 'two'].map((n) => `${uniqueName(`msbuild-bake-cli-${n}`)}:latest`);
  tags.push(...names);
  const file = join(context, 'msbuild.yaml');
  await writeFile(
    file,
    `targets:\n  one: {target: one, tags: ["${names[0]}"]}\n  two: {target: two, tags: ["${names[1]}"]}\n`,
  );
  return { file, cacheDir, names };
}

const common = (file: string, cacheDir: string) => [
  'bake',
  '-f',
  file,
  '--cache-dir',
  cacheDir,
  '--network',
  'none',
  '--pull',
  'never',
];

test('--progress json: JSON Lines with both targets, step IDs scoped by target', async (t) => {
  const { file, cacheDir } = await project();
  const result = await msbuild([...common(file, cacheDir), '--progress', 'json']);
  t.is(result.code, 0, result.stderr);
  const events = result.stderr
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; target?: string; stepId?: string });
  t.deepEqual(
    events
      .filter((e) => e.type === 'build-start')
      .map((e) => e.target?.split(' ')[0])
      .sort(),
    ['one', 'two'],
  );
  t.is(events.filter((e) => e.type === 'build-done').length, 2);
  t.true(events.filter((e) => e.type === 'step-done').every((e) => /^(one|two):/.test(e.stepId ?? '')));
  t.regex(result.stdout, /^one sha256:[0-9a-f]{64}\ntwo sha256:[0-9a-f]{64}\n$/);
});

test('--progress quiet prints only the image IDs; plain ends with one summary per target', async (t) => {
  const { file, cacheDir, names } = await project();
  const quiet = await msbuild([...common(file, cacheDir), '--progress', 'quiet']);
  t.is(quiet.code, 0, quiet.stderr);
  t.is(quiet.stderr, '');
  t.regex(quiet.stdout, /^one sha256:\w+\ntwo sha256:\w+\n$/);
  const plain = await msbuild([...common(file, cacheDir), '--progress', 'plain']);
  t.is(plain.code, 0, plain.stderr);
  const built = plain.stderr.split('\n').filter((line) => line.startsWith('built '));
  t.is(built.length, 2);
  t.true(built[0].includes(names[0]) && built[1].includes(names[1]), built.join('\n'));
  t.regex(plain.stderr, /#\d+ CACHED/, 'the second run is cached');
});
