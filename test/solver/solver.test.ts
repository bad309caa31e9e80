// Unit (no Docker): the solver's step loop with fake ops and a fake worker — independent stages run
// at once, a step two stages share runs once, a failure cancels the rest, a rebuild hits the cache,
// and each way a step can miss is explained (options, inputs, upstream, pruned, image gone, dry run).
import test from 'ava';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildError } from '../../engine/build-error.js';
import { CacheStore } from '../../engine/cache/store.js';
import type { BuildEvent } from '../../engine/events.js';
import { FakeBuild, type FakeRun } from '../support/fake-solver.js';

function reasonsOf(run: FakeRun, stepId: string): string[] {
  const miss = run.events.find(
    (e): e is Extract<BuildEvent, { type: 'cache-miss' }> => e.type === 'cache-miss' && e.stepId === stepId,
  );
  return miss?.reasons ?? [];
}

const twoStages = [
  'FROM scratch AS a',
  'RUN build-a',
  'FROM scratch AS b',
  'RUN build-b',
  'FROM scratch',
  'COPY --from=a /x /x',
  'COPY --from=b /y /y',
].join('\n');

test('independent stages run at once; a step depends on the stage it reads', async (t) => {
  const fake = await FakeBuild.create();
  t.teardown(() => fake.dispose());
  const run = await fake.run(twoStages, {
    'RUN build-a': { ms: 150 },
    'RUN build-b': { ms: 150 },
    'COPY --from=a /x /x': { reads: [0] },
    'COPY --from=b /y /y': { reads: [1] },
  });
  t.is(run.error, undefined);
  t.is(run.maxConcurrent, 2);
  t.deepEqual([...run.executed].sort(), ['COPY --from=a /x /x', 'COPY --from=b /y /y', 'RUN build-a', 'RUN build-b']);
  const copyB = run.events.find((e) => e.type === 'step-start' && e.step.id === '2.2');
  t.deepEqual(copyB?.type === 'step-start' ? copyB.deps : undefined, ['2.1', '1.1']);
  t.is(run.events.filter((e) => e.type === 'stage-done').length, 3);
});

test('a step two stages share runs once: the second joins it', async (t) => {
  const fake = await FakeBuild.create();
  t.teardown(() => fake.dispose());
  const dockerfile = twoStages.replace('RUN build-a', 'RUN same').replace('RUN build-b', 'RUN same');
  const run = await fake.run(dockerfile, {
    'RUN same': { ms: 200 },
    'COPY --from=a /x /x': { reads: [0] },
    'COPY --from=b /y /y': { reads: [1] },
  });
  t.is(run.error, undefined);
  t.is(run.executed.filter((text) => text === 'RUN same').length, 1);
  const done = run.events.filter((e) => e.type === 'step-done' && (e.stepId === '0.1' || e.stepId === '1.1'));
  t.deepEqual(done.map((e) => e.type === 'step-done' && e.shared === true).sort(), [false, true]);
});

test('a failure cancels the rest at once and is reported with its step', async (t) => {
  const fake = await FakeBuild.create();
  t.teardown(() => fake.dispose());
  const started = Date.now();
  const run = await fake.run(twoStages, {
    'RUN build-a': { ms: 50, fail: 'boom' },
    'RUN build-b': { ms: 10_000 },
    'COPY --from=a /x /x': { reads: [0] },
    'COPY --from=b /y /y': { reads: [1] },
  });
  t.true(Date.now() - started < 5000, 'the slow step did not run to its end');
  t.true(run.error instanceof BuildError);
  t.is((run.error as BuildError).message, '[a 1/1] RUN build-a: boom');
  t.is((run.error as BuildError).step?.id, '0.1');
  const errors = run.events.filter((e) => e.type === 'step-error');
  t.deepEqual(
    errors.map((e) => e.type === 'step-error' && [e.stepId, e.cancelled]),
    [
      ['0.1', false],
      ['1.1', true],
    ],
  );
  t.false(run.executed.includes('COPY --from=a /x /x'));
});

test('a rebuild with nothing changed hits the cache for every step and executes none', async (t) => {
  const fake = await FakeBuild.create();
  t.teardown(() => fake.dispose());
  const steps = { 'COPY --from=a /x /x': { reads: [0] }, 'COPY --from=b /y /y': { reads: [1] } };
  const first = await fake.run(twoStages, steps);
  t.is(first.error, undefined);
  const second = await fake.run(twoStages, steps);
  t.is(second.error, undefined);
  t.deepEqual(second.executed, []);
  t.is(second.events.filter((e) => e.type === 'step-cached').length, 4);
  t.is(second.events.filter((e) => e.type === 'cache-miss').length, 0);
  t.deepEqual(second.outcome?.state.config.rootfs, first.outcome?.state.config.rootfs);
});

test('every way a step misses is explained', async (t) => {
  const fake = await FakeBuild.create();
  t.teardown(() => fake.dispose());
  const file = (digest: string) => ({ 'COPY a /a': { files: { a: digest } } });
  const dockerfile = 'FROM scratch AS app\nCOPY a /a\nRUN one\nRUN tail\n';
  const first = await fake.run(dockerfile, file('d1'));
  t.deepEqual(reasonsOf(first, '0.1'), ['no earlier build of this step in the cache']);

  t.deepEqual(reasonsOf(await fake.run(dockerfile, file('d1'), { noCache: true }), '0.1'), [
    '--no-cache: every step runs',
  ]);
  t.deepEqual(reasonsOf(await fake.run(dockerfile, file('d1'), { noCacheFilter: ['app'] }), '0.2'), [
    '--no-cache-filter names stage app',
  ]);

  const changedFile = await fake.run(dockerfile, file('d2'));
  t.deepEqual(reasonsOf(changedFile, '0.1'), ['file a changed']);
  t.deepEqual(reasonsOf(changedFile, '0.2'), ['an earlier step changed']);

  const changedText = await fake.run(dockerfile.replace('RUN one', 'RUN two'), file('d2'));
  t.deepEqual(reasonsOf(changedText, '0.1'), []);
  t.deepEqual(reasonsOf(changedText, '0.2'), ['instruction changed: "RUN one" → "RUN two"']);

  const store = new CacheStore(fake.cacheDir);
  for (const entry of await store.list()) fake.removedImages.add(entry.imageId);
  t.deepEqual(reasonsOf(await fake.run(dockerfile, file('d2')), '0.1'), [
    'the cached image was removed from the daemon',
  ]);
  fake.removedImages.clear();

  await rm(join(fake.cacheDir, 'entries'), { recursive: true, force: true });
  t.deepEqual(reasonsOf(await fake.run(dockerfile, file('d2')), '0.1'), [
    'its cache entry is gone: pruned, or the build that ran it last did not finish',
  ]);
});

test('a dry run explains without running, and a step reading a stage that would rebuild says so', async (t) => {
  const fake = await FakeBuild.create();
  t.teardown(() => fake.dispose());
  const run = await fake.run(
    twoStages,
    { 'COPY --from=a /x /x': { reads: [0] }, 'COPY --from=b /y /y': { reads: [1] } },
    { dryRun: true },
  );
  t.is(run.error, undefined);
  t.deepEqual(run.executed, []);
  t.true(run.outcome?.virtual);
  t.deepEqual(reasonsOf(run, '2.1'), ['stage a will be rebuilt first']);
  t.false(run.events.some((e) => e.type === 'step-start' && e.step.id === '2.1'));
});
