// Integration: bake builds several targets in one process over one work pool and one cache session;
// a base stage the targets share runs once (the others join it), from the events; the file digests
// every target read are saved together.
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBakeFiles, resolveTargets } from '../../engine/bake/config.js';
import { runBake } from '../../engine/bake/run.js';
import { CacheStore } from '../../engine/cache/store.js';
import type { BuildEvent } from '../../engine/events.js';
import { madeByThisFile, makeContext, runImage, uniqueName } from '../support/docker.js';

const { cleanup, tags } = madeByThisFile();

test('three targets sharing a base stage: the base RUN executes once', async (t) => {
  const marker = uniqueName('shared-base');
  const context = await makeContext({
    Dockerfile: [
      'FROM busybox AS base',
      `RUN sleep 1 && echo ${marker} > /base`,
      'FROM base AS one',
      'RUN echo one > /one',
      'FROM base AS two',
      'RUN echo two > /two',
      'FROM base AS three',
      'RUN echo three > /three',
    ].join('\n'),
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-bake-cache-'));
  cleanup.push(context, cacheDir);
  const names = ['one', 'two', 'three'].map((n) => `${uniqueName(`msbuild-bake-${n}`)}:latest`);
  tags.push(...names);
  const file = parseBakeFiles(
    [
      {
        name: 'docker-bake.hcl',
        text: ['one', 'two', 'three']
          .map((n, i) => `target "${n}" {\n  target = "${n}"\n  tags = ["${names[i]}"]\n}\n`)
          .join(''),
      },
    ],
    { cwd: context },
  );
  const events: Array<{ target: string; event: BuildEvent }> = [];
  const outcomes = await runBake(resolveTargets(file.config, ['one', 'two', 'three']).targets, {
    cwd: context,
    cacheDir,
    network: 'none',
    pull: 'never',
    onEvent: (target, event) => events.push({ target, event }),
  });
  t.deepEqual(
    outcomes.map((o) => o.error?.message),
    [undefined, undefined, undefined],
  );
  const baseRunIds = new Set(
    events.flatMap(({ target, event }) =>
      event.type === 'step-start' && event.step.name.includes(marker) ? [`${target}:${event.step.id}`] : [],
    ),
  );
  const done = events
    .filter(({ target, event }) => event.type === 'step-done' && baseRunIds.has(`${target}:${event.stepId}`))
    .map(({ event }) => event);
  t.is(done.length, 3, 'every target reports the base step');
  t.is(done.filter((event) => event.type === 'step-done' && !event.shared).length, 1, 'exactly one of them ran it');
  t.is(
    outcomes.reduce((sum, o) => sum + (o.result?.summary.stepsRun ?? 0), 0),
    4,
    'one base RUN and three target RUNs',
  );
  t.is((await runImage(names[1], ['cat', '/base', '/two'])).trim(), `${marker}\ntwo`);
});

test('targets share one cache session: the file digests both targets read are saved together', async (t) => {
  const context = await makeContext({
    Dockerfile: 'FROM scratch AS one\nCOPY one.txt /one.txt\nFROM scratch AS two\nCOPY two.txt /two.txt\n',
    'one.txt': `one ${uniqueName('file')}`,
    'two.txt': `two ${uniqueName('file')}`,
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-bake-cache-'));
  cleanup.push(context, cacheDir);
  const file = parseBakeFiles(
    [{ name: 'docker-bake.hcl', text: 'target "one" {\n  target = "one"\n}\ntarget "two" {\n  target = "two"\n}\n' }],
    { cwd: context },
  );
  const outcomes = await runBake(resolveTargets(file.config, ['one', 'two']).targets, {
    cwd: context,
    cacheDir,
    network: 'none',
    pull: 'never',
  });
  t.deepEqual(
    outcomes.map((o) => o.error?.message),
    [undefined, undefined],
  );
  // Each target digested its own file; with a memo per target, the one saved last held only its own.
  const memo = await new CacheStore(cacheDir).readJson<Record<string, string>>('file-digests.json');
  t.is(Object.keys(memo ?? {}).length, 2);
});
