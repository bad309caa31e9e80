// Integration: independent stages really run at the same time, a stage's steps before its
// COPY --from do not wait for the stage they copy from, identical steps run once, and what finished
// before a failure stays cached. Proved without timing assumptions.
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import { cacheVolumeName } from '../../engine/docker/cache-volumes.js';
import type { BuildEvent } from '../../engine/events.js';
import { docker, makeContext, removeDir, requireDaemon, uniqueName } from '../support/docker.js';

const cleanup: Array<() => Promise<unknown>> = [];
test.before(requireDaemon);
test.after.always(async () => {
  for (const step of cleanup) await step().catch(() => undefined);
});

test('two stages that wait for each other through a shared cache mount finish: a serial build would deadlock', async (t) => {
  const id = uniqueName('rendezvous');
  const wait = (mine: string, theirs: string) =>
    `RUN --mount=type=cache,id=${id},target=/shared sh -c 'touch /shared/${mine}; i=0; while [ ! -f /shared/${theirs} ]; do i=$((i+1)); [ $i -gt 150 ] && exit 1; sleep 0.2; done'`;
  const context = await makeContext({
    Dockerfile: [
      'FROM busybox AS a',
      wait('a', 'b'),
      'RUN echo a > /a',
      'FROM busybox AS b',
      wait('b', 'a'),
      'RUN echo b > /b',
      'FROM scratch',
      'COPY --from=a /a /a',
      'COPY --from=b /b /b',
    ].join('\n'),
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-it-cache-'));
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
    () => docker.getVolume(cacheVolumeName({ id } as never)).remove(),
  );
  const result = await build({ context, network: 'none', pull: 'never', cacheDir, jobs: 2 });
  t.is(result.summary.stepsRun, 6);
});

test('steps before a COPY --from run while the source stage is still building', async (t) => {
  const context = await makeContext({
    Dockerfile: [
      'FROM busybox AS slow',
      'RUN sleep 2 && echo slow > /slow',
      'FROM busybox AS final',
      'RUN echo early > /early',
      'COPY --from=slow /slow /slow',
    ].join('\n'),
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-it-cache-'));
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
  );
  const events: BuildEvent[] = [];
  await build({ context, network: 'none', pull: 'never', cacheDir, onEvent: (e) => events.push(e) });
  const names = new Map(events.flatMap((e) => (e.type === 'step-start' ? [[e.step.id, e.step.name] as const] : [])));
  const doneAt = (name: string) => {
    const id = [...names].find(([, n]) => n.startsWith(name))?.[0];
    const done = events.find((e) => e.type === 'step-done' && e.stepId === id);
    return done?.time ?? Infinity;
  };
  t.true(doneAt('RUN echo early') < doneAt('RUN sleep 2'), 'the early step finished before the slow stage did');
  t.true(doneAt('COPY --from=slow') >= doneAt('RUN sleep 2'), 'the copy waited for its source');
});

test('two stages with the same step share one execution', async (t) => {
  const marker = uniqueName('same-work');
  const context = await makeContext({
    Dockerfile: [
      `FROM busybox AS a`,
      `RUN sleep 1 && echo ${marker} > /x`,
      `FROM busybox AS b`,
      `RUN sleep 1 && echo ${marker} > /x`,
      'FROM scratch',
      'COPY --from=a /x /a',
      'COPY --from=b /x /b',
    ].join('\n'),
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-it-cache-'));
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
  );
  const events: BuildEvent[] = [];
  const result = await build({ context, network: 'none', pull: 'never', cacheDir, onEvent: (e) => events.push(e) });
  const runs = new Set(
    events.flatMap((e) => (e.type === 'step-start' && e.step.name.startsWith('RUN sleep 1') ? [e.step.id] : [])),
  );
  t.is(runs.size, 2);
  const outcomes = events.filter(
    (e) =>
      (e.type === 'step-done' || e.type === 'step-cached') && runs.has(e.type === 'step-done' ? e.stepId : e.step.id),
  );
  const ran = outcomes.filter((e) => e.type === 'step-done' && !e.shared);
  t.is(ran.length, 1, 'one of the two ran it; the other joined it (or found it cached)');
  t.is(result.summary.stepsRun, 1 + 2, 'one RUN and the two COPYs');
});

test('after a failure, what finished stays cached: fixing the failing stage reruns only it', async (t) => {
  const context = await makeContext({
    Dockerfile: [
      'FROM busybox AS good',
      'RUN echo good > /good',
      'FROM busybox AS bad',
      'RUN sleep 3 && exit 7',
      'FROM scratch',
      'COPY --from=good /good /good',
      'COPY --from=bad /etc/passwd /p',
    ].join('\n'),
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-it-cache-'));
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
  );
  await t.throwsAsync(build({ context, network: 'none', pull: 'never', cacheDir }));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(
    join(context, 'Dockerfile'),
    [
      'FROM busybox AS good',
      'RUN echo good > /good',
      'FROM busybox AS bad',
      'RUN true',
      'FROM scratch',
      'COPY --from=good /good /good',
      'COPY --from=bad /etc/passwd /p',
    ].join('\n'),
  );
  const events: BuildEvent[] = [];
  await build({ context, network: 'none', pull: 'never', cacheDir, onEvent: (e) => events.push(e) });
  t.true(
    events.some((e) => e.type === 'step-cached' && e.step.name === 'RUN echo good > /good'),
    'the good stage finished before the failure and is reused',
  );
  t.true(events.some((e) => e.type === 'step-start' && e.step.name === 'RUN true'));
});
