// Integration: `build()` on the real daemon — the images it leaves, the errors it gives, that no
// container outlives a build, on success, failure or abort, and that the cache index only points at
// images that exist.
import test from 'ava';
import { mkdtemp, readFile, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildError } from '../engine/build-error.js';
import { build, type BuildOptions } from '../engine/build.js';
import { CacheStore } from '../engine/cache/store.js';
import type { BuildEvent } from '../engine/events.js';
import { assertIndexValid } from './support/cache-index.js';
import {
  imageFiles,
  leftoverContainers,
  makeContext,
  removeDir,
  removeImages,
  requireDaemon,
  runImage,
  uniqueName,
} from './support/docker.js';

const contexts: string[] = [];
const tags: string[] = [];
let cacheDir = '';

test.before(async () => {
  await requireDaemon();
  cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-it-cache-'));
});

test.after.always(async () => {
  await removeImages(...tags);
  for (const dir of [...contexts, cacheDir]) await removeDir(dir);
});

async function buildIn(files: Parameters<typeof makeContext>[0], options: Partial<BuildOptions> = {}) {
  const context = await makeContext(files);
  contexts.push(context);
  const tag = `${uniqueName('msbuild-it')}:latest`;
  tags.push(tag);
  const events: BuildEvent[] = [];
  const run = (extra: Partial<BuildOptions> = {}) =>
    build({
      context,
      tags: [tag],
      network: 'none',
      pull: 'never',
      cacheDir,
      onEvent: (e) => events.push(e),
      ...options,
      ...extra,
    });
  return { context, tag, events, run };
}

function buildIdOf(events: BuildEvent[]): string {
  const start = events.find((e) => e.type === 'build-start');
  return start?.type === 'build-start' ? start.buildId : '';
}

test('a multi-stage build leaves a runnable, tagged image holding only what the last stage copied', async (t) => {
  const { tag, run, events } = await buildIn({
    Dockerfile: [
      'FROM busybox AS build',
      'WORKDIR /src',
      'COPY hello.sh .',
      'RUN chmod +x hello.sh && mkdir /out && cp hello.sh /out/hello',
      'FROM busybox AS final',
      'COPY --from=build /out/hello /usr/local/bin/hello',
      'ENTRYPOINT ["hello"]',
      'CMD ["world"]',
    ].join('\n'),
    'hello.sh': '#!/bin/sh\necho "hello, $1"\n',
  });
  const result = await run();
  t.regex(result.imageId, /^sha256:[0-9a-f]{64}$/);
  t.is((await runImage(tag)).trim(), 'hello, world');
  const files = await imageFiles(tag);
  t.is(files.get('/usr/local/bin/hello')?.mode, 0o755);
  t.false(files.has('/src/hello.sh'), 'nothing of the build stage leaks into the final image');
  t.deepEqual(await leftoverContainers(buildIdOf(events)), []);
  t.is(result.config.config.Entrypoint?.[0], 'hello');
});

test('a failing RUN names the step, gives its exit code and last output, and leaves no container', async (t) => {
  const { run, events } = await buildIn({
    Dockerfile:
      'FROM busybox\nRUN echo first\nRUN echo "compiling..." && echo "boom: undefined symbol" >&2 && exit 2\nRUN echo never\n',
  });
  const error = await t.throwsAsync(run(), { instanceOf: BuildError });
  t.regex(error?.message ?? '', /^\[stage-0 3\/4\] RUN echo "compiling\.\.\."/);
  t.regex(error?.message ?? '', /exit code 2/);
  t.is(error?.exitCode, 2);
  t.deepEqual([...(error?.outputTail ?? [])].sort(), ['boom: undefined symbol', 'compiling...']);
  t.is(error?.step?.line, 3);
  t.deepEqual(await leftoverContainers(buildIdOf(events)), []);
});

test('a missing COPY source is an error naming the source and the step', async (t) => {
  const { run } = await buildIn({ Dockerfile: 'FROM busybox\nCOPY missing.txt /x\n' });
  const error = await t.throwsAsync(run(), { instanceOf: BuildError });
  t.regex(error?.message ?? '', /\[stage-0 2\/2\] COPY missing.txt \/x: "missing.txt" not found in the build context/);
});

test('COPY --from an unknown stage (with pulling off) says it is neither a stage nor a local image', async (t) => {
  const { run } = await buildIn({
    Dockerfile: 'FROM busybox AS build\nRUN true\nFROM busybox\nCOPY --from=buidl /x /x\n',
  });
  const error = await t.throwsAsync(run());
  t.regex(error?.message ?? '', /"buidl"/);
  t.regex(error?.message ?? '', /build/);
  t.is((error as BuildError).step?.label, '[stage-1 2/2] COPY --from=buidl /x /x', 'the error names the step');
  t.is((error as BuildError).step?.line, 4);
});

test('FROM an unknown image (with pulling off) names the FROM step', async (t) => {
  const { run } = await buildIn({
    Dockerfile: 'FROM busybox\nRUN true\nFROM nosuchimage-msbuild:1 AS final\nRUN true\n',
  });
  const error = await t.throwsAsync(run(), { instanceOf: BuildError });
  t.is(error?.step?.label, '[final 1/2] FROM nosuchimage-msbuild:1');
  t.is(error?.step?.line, 3);
});

test('an unknown --chown user is an error naming the user', async (t) => {
  const { run } = await buildIn({ Dockerfile: 'FROM busybox\nCOPY --chown=nosuchuser f /f\n', f: 'x' });
  const error = await t.throwsAsync(run(), { instanceOf: BuildError });
  t.regex(error?.message ?? '', /COPY --chown=nosuchuser f \/f: unable to find user nosuchuser/);
});

test('--chown by name resolves in the image; --chmod applies to copied files and directories', async (t) => {
  const { tag, run } = await buildIn({
    Dockerfile: 'FROM busybox\nCOPY --chown=app:staff --chmod=0640 dir /data/\n',
    'dir/a.txt': 'a',
    'dir/sub/b.txt': 'b',
  });
  await run();
  const files = await imageFiles(tag);
  t.like(files.get('/data/a.txt'), { uid: 1000, gid: 50, mode: 0o640 });
  t.like(files.get('/data/sub'), { uid: 1000, gid: 50, mode: 0o640 });
  t.like(
    files.get('/data'),
    { uid: 1000, gid: 50, mode: 0o755 },
    'created destination: owned by --chown, not --chmod-ed',
  );
});

test('--target builds only what the target needs: a broken unused stage is never built', async (t) => {
  const { tag, run, events } = await buildIn({
    Dockerfile:
      'FROM busybox AS good\nRUN echo good > /good\nFROM busybox AS broken\nRUN exit 1\nFROM good AS last\nRUN cat /good\n',
  });
  await run({ target: 'good' });
  t.is((await runImage(tag, ['cat', '/good'])).trim(), 'good');
  const started = events.flatMap((e) => (e.type === 'step-start' ? [e.step.stage] : []));
  t.false(started.includes('broken'));
  t.false(started.includes('last'));
});

test('labels from --label land on the final image; --iidfile gets the image ID', async (t) => {
  const { context, run } = await buildIn({ Dockerfile: 'FROM busybox\nLABEL a=1\n' });
  const iidfile = join(context, 'iid');
  const result = await run({ labels: { b: '2' }, iidfile });
  t.is(await readFile(iidfile, 'utf8'), result.imageId);
  t.deepEqual(result.config.config.Labels, { a: '1', b: '2' });
});

test('a rebuild with nothing changed runs no step and gives the same image', async (t) => {
  const { run, events } = await buildIn({
    Dockerfile: 'FROM busybox\nCOPY f /f\nRUN cat /f > /g\nENV X=1\n',
    f: 'content',
  });
  const first = await run();
  events.length = 0;
  const second = await run();
  t.is(second.imageId, first.imageId);
  t.is(second.summary.stepsRun, 0);
  t.is(second.summary.stepsCached, 2);
});

test('a failing step cancels a stage that a later COPY --from of the failing stage waits for', async (t) => {
  const { run, events } = await buildIn({
    Dockerfile: 'FROM busybox AS other\nRUN sleep 30\nFROM busybox\nRUN exit 3\nCOPY --from=other /bin/true /t\n',
  });
  const started = Date.now();
  const error = await t.throwsAsync(run(), { instanceOf: BuildError });
  t.regex(error?.message ?? '', /RUN exit 3/);
  t.true(Date.now() - started < 20_000, `the sleeping stage was cancelled (${Date.now() - started} ms)`);
  const sleeping = events.find((e) => e.type === 'step-start' && e.step.name === 'RUN sleep 30');
  const sleepId = sleeping?.type === 'step-start' ? sleeping.step.id : '';
  t.true(
    events.some((e) => e.type === 'step-error' && e.stepId === sleepId && e.cancelled),
    'RUN sleep 30 is reported cancelled',
  );
});

test('steps onto scratch are recorded once the stage is loaded (also when a RUN loads it); every entry has its image', async (t) => {
  const ownCache = await mkdtemp(join(tmpdir(), 'msbuild-it-cache-'));
  contexts.push(ownCache);
  // The first stage is loaded as the target's base; the COPY onto scratch before the RUN is loaded by the RUN itself.
  const { run } = await buildIn(
    {
      Dockerfile:
        'FROM scratch\nCOPY a /a\nCOPY --from=busybox /bin/busybox /bin/sh\nRUN ["/bin/sh", "-c", "echo ran > /ran"]\nCOPY b /b\n',
      a: 'a',
      b: 'b',
    },
    { cacheDir: ownCache },
  );
  await run();
  await assertIndexValid(t, ownCache);
  const steps = (await new CacheStore(ownCache).list()).map((entry) => entry.step).sort();
  t.true(
    steps.includes('COPY a /a') &&
      steps.includes('COPY --from=busybox /bin/busybox /bin/sh') &&
      steps.includes('COPY b /b'),
    steps.join(', '),
  );
  const again = await run();
  t.is(again.summary.stepsRun, 0, 'the rebuild is fully cached');
});

test('an aborted build() rejects promptly while a layer is uploaded into a container, and records nothing for it', async (t) => {
  const ownCache = await mkdtemp(join(tmpdir(), 'msbuild-it-cache-'));
  contexts.push(ownCache);
  const controller = new AbortController();
  const { context, run, events } = await buildIn(
    { Dockerfile: 'FROM busybox\nCOPY . /ctx/\n' },
    { cacheDir: ownCache, signal: controller.signal },
  );
  await writeFile(join(context, 'big.bin'), '');
  await truncate(join(context, 'big.bin'), 1024 * 1024 * 1024);
  const building = run();
  building.catch(() => undefined);
  // Digesting and writing 1 GiB takes seconds; the upload follows.
  while (!events.some((e) => e.type === 'step-start' && e.step.name.startsWith('COPY')))
    await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const aborted = Date.now();
  controller.abort(new Error('interrupted by the test'));
  await t.throwsAsync(building, { message: 'interrupted by the test' });
  t.true(Date.now() - aborted < 10_000, `rejected ${Date.now() - aborted} ms after the abort`);
  t.deepEqual(await leftoverContainers(buildIdOf(events)), []);
  t.deepEqual(
    (await new CacheStore(ownCache).list()).map((entry) => entry.step),
    [],
  );
});

test('a hit whose parent layer this build wrote with other bytes (same files, other times) uses the entry’s own chain', async (t) => {
  // What two builds running at once can do: the second misses COPY a (writing its own layer, with its
  // files' times) and then hits COPY b recorded by the first, on top of the first's layer for COPY a.
  const { context, run } = await buildIn({ Dockerfile: 'FROM scratch\nCOPY a /a\nCOPY b /b\n', a: 'a\n', b: 'b\n' });
  const first = await run();
  const { rm: remove, utimes } = await import('node:fs/promises');
  for (const entry of await new CacheStore(cacheDir).list()) if (entry.step === 'COPY a /a') await remove(entry.path);
  await utimes(join(context, 'a'), new Date(1_000_000_000_000), new Date(1_000_000_000_000));
  const second = await run();
  t.is(second.summary.stepsCached, 1, 'COPY b came from the cache');
  t.deepEqual(
    (await imageFiles(second.tags[0])).get('/a')?.sha256,
    (await imageFiles(first.tags[0])).get('/a')?.sha256,
  );
});
