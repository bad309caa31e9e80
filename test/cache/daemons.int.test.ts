// Integration: one cache dir serves two daemons (the system one and a private one): a look-up or a
// build against one never deletes the other's entries, so each keeps its fully cached rebuild; a cache
// exported on one daemon and imported on the other is fully cached there.
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore } from '../../engine/cache/store.js';
import { msbuild } from '../support/cli.js';
import { makeContext, removeDir, requireDaemon } from '../support/docker.js';
import { FaultDaemon } from '../support/fault-daemon.js';

const cleanup: Array<() => Promise<unknown>> = [];
let other: FaultDaemon;
test.before(async () => {
  await requireDaemon();
  other = await FaultDaemon.create();
  cleanup.push(() => other.destroy());
  await other.start();
  await other.loadImage('busybox:latest');
});
test.after.always(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanup.push(() => removeDir(dir));
  return dir;
}

const build = (context: string, cacheDir: string, env: NodeJS.ProcessEnv = {}) =>
  msbuild(['build', '--progress', 'plain', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, context], {
    env,
  });

test('a cache dir shared by two daemons: explain and builds on one never delete the other’s entries', async (t) => {
  const context = await makeContext({ Dockerfile: 'FROM busybox\nRUN echo one > /one\nCOPY f /f\n', f: 'f\n' });
  cleanup.push(() => removeDir(context));
  const cacheDir = await scratchDir('msbuild-daemons-');
  const first = await build(context, cacheDir);
  t.is(first.code, 0, first.stderr);
  const entries = async () => (await new CacheStore(cacheDir).list()).map((entry) => entry.key).sort();
  const before = await entries();

  const explained = await msbuild(['cache', '--cache-dir', cacheDir, 'explain', context], {
    env: { DOCKER_HOST: other.host },
  });
  t.is(explained.code, 0, explained.stderr);
  t.regex(explained.stdout, /will run/, 'the other daemon has none of these images');
  t.deepEqual(await entries(), before, 'a look-up against the other daemon deleted nothing');

  const elsewhere = await build(context, cacheDir, { DOCKER_HOST: other.host });
  t.is(elsewhere.code, 0, elsewhere.stderr);
  t.regex(elsewhere.stderr, /steps: 2 run, 0 cached/);
  const again = await build(context, cacheDir);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stderr, /steps: 0 run, 2 cached/, 'the first daemon still has every entry');
  const elsewhereAgain = await build(context, cacheDir, { DOCKER_HOST: other.host });
  t.regex(elsewhereAgain.stderr, /steps: 0 run, 2 cached/, 'and so does the second');
});

test('a cache exported on one daemon and imported on another is fully cached there (RUN and COPY onto an image too)', async (t) => {
  const context = await makeContext({
    Dockerfile:
      'FROM busybox AS base\nRUN echo hi > /x\nCOPY f /f\nRUN cat /f /x > /y\nFROM scratch\nCOPY --from=base /y /y\n',
    f: 'f\n',
  });
  cleanup.push(() => removeDir(context));
  const [cacheA, exported, cacheB, cacheC] = await Promise.all(
    ['msbuild-xa-', 'msbuild-xe-', 'msbuild-xb-', 'msbuild-xc-'].map(scratchDir),
  );
  const first = await msbuild([
    'build',
    '--progress',
    'plain',
    '--network',
    'none',
    '--pull',
    'never',
    '--cache-dir',
    cacheA,
    '--cache-to',
    `type=local,dest=${exported}`,
    context,
  ]);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stderr, /steps: 4 run, 0 cached/);
  const env = { DOCKER_HOST: other.host };
  const second = await msbuild(
    [
      'build',
      '--progress',
      'plain',
      '--network',
      'none',
      '--pull',
      'never',
      '--cache-dir',
      cacheB,
      '--cache-from',
      `type=local,src=${exported}`,
      context,
    ],
    { env },
  );
  t.is(second.code, 0, second.stderr);
  t.regex(second.stderr, /steps: 0 run, 4 cached/, 'every step hits on the other daemon');
  const imported = await msbuild(['cache', '--cache-dir', cacheC, 'import', '--src', exported], { env });
  t.is(imported.code, 0, imported.stderr);
  const explained = await msbuild(['cache', '--cache-dir', cacheC, 'explain', context], { env });
  t.is(explained.code, 0, explained.stderr);
  t.regex(explained.stdout, /^every step is cached/, explained.stdout);
});
