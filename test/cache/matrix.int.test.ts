// Integration: the cache misses exactly when something a step reads changed — one input kind at a
// time (file content, mode, mtime, .dockerignore-d file, build args used or not, ENV, base image,
// instruction text, upstream stage) against one baseline build.
import test from 'ava';
import { appendFile, chmod, cp, mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import type { BuildEvent } from '../../engine/events.js';
import {
  dockerCli,
  makeContext,
  removeDir,
  removeImages,
  requireDaemon,
  runCommand,
  uniqueName,
} from '../support/docker.js';

const baseImage = `${uniqueName('msbuild-matrix-base')}:latest`;
const dockerfile = (base: string) =>
  [
    'FROM busybox AS up',
    'ARG UP=1',
    'RUN echo "$UP" > /up',
    `FROM ${base}`,
    'ARG USED=a',
    'ENV E=1',
    'COPY app/ /app/',
    'RUN cat /app/main.txt > /main && echo "$USED $E" > /used',
    'COPY --from=up /up /up',
    'RUN echo done > /done',
  ].join('\n');

const steps = {
  upRun: /^RUN (echo|printf) .* > \/up$/,
  copyApp: /^COPY app\/ \/app\/$/,
  runCat: /^RUN cat \/app\/main.txt/,
  copyFrom: /^COPY --from=up /,
  runDone: /^RUN echo (done|finished) > \/done$/,
};
type StepName = keyof typeof steps;

let baseline = '';
let baselineCache = '';
const cleanup: string[] = [];

async function makeBaseImage(tag: string, marker: string): Promise<void> {
  const context = await makeContext({ Dockerfile: `FROM busybox\nRUN echo ${marker} > /base-marker\n` });
  cleanup.push(context);
  const result = await runCommand(dockerCli, ['build', '-q', '--network', 'none', '-t', tag, context], {
    env: { DOCKER_BUILDKIT: '1' },
  });
  if (result.code !== 0) throw new Error(`base image: ${result.stderr}`);
}

test.before(async () => {
  await requireDaemon();
  await makeBaseImage(baseImage, 'one');
  baseline = await makeContext({
    Dockerfile: dockerfile(baseImage),
    'app/main.txt': 'main\n',
    'app/ignored.txt': 'ignored\n',
    '.dockerignore': 'app/ignored.txt\n',
  });
  baselineCache = await mkdtemp(join(tmpdir(), 'msbuild-matrix-cache-'));
  cleanup.push(baseline, baselineCache);
  await build({ context: baseline, network: 'none', pull: 'never', cacheDir: baselineCache });
});

test.after.always(async () => {
  await removeImages(baseImage);
  for (const dir of cleanup) await removeDir(dir);
});

/** Rebuilds a copy of the baseline after `change`, returning which steps ran (not cached). */
async function stepsThatRun(
  change: (context: string) => Promise<void>,
  buildArgs: Record<string, string> = {},
  base = baseImage,
): Promise<StepName[]> {
  const context = await mkdtemp(join(tmpdir(), 'msbuild-matrix-'));
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-matrix-cache-'));
  cleanup.push(context, cacheDir);
  await cp(baseline, context, { recursive: true, preserveTimestamps: true });
  await cp(baselineCache, cacheDir, { recursive: true });
  if (base !== baseImage) await writeFile(join(context, 'Dockerfile'), dockerfile(base));
  await change(context);
  const events: BuildEvent[] = [];
  await build({ context, network: 'none', pull: 'never', cacheDir, buildArgs, onEvent: (e) => events.push(e) });
  const names = new Map(
    events.flatMap((e) =>
      e.type === 'step-start' || e.type === 'step-cached' ? [[e.step.id, e.step.name] as const] : [],
    ),
  );
  const ran = events.flatMap((e) =>
    e.type === 'step-done' && !/FROM /.test(names.get(e.stepId) ?? '') ? [names.get(e.stepId) ?? ''] : [],
  );
  return (Object.keys(steps) as StepName[]).filter((step) => ran.some((name) => steps[step].test(name)));
}

const everything: StepName[] = [];
const afterCopy: StepName[] = ['copyApp', 'runCat', 'copyFrom', 'runDone'];

test('nothing changed: nothing runs', async (t) => {
  t.deepEqual(await stepsThatRun(async () => undefined), everything);
});

test('touch (mtime only): nothing runs', async (t) => {
  t.deepEqual(
    await stepsThatRun((c) => utimes(join(c, 'app/main.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1))),
    everything,
  );
});

test('file content: the COPY that reads it and everything after it in the stage', async (t) => {
  t.deepEqual(await stepsThatRun((c) => appendFile(join(c, 'app/main.txt'), 'more\n')), afterCopy);
});

test('file mode: like content', async (t) => {
  t.deepEqual(await stepsThatRun((c) => chmod(join(c, 'app/main.txt'), 0o755)), afterCopy);
});

test('a file excluded by .dockerignore: nothing runs', async (t) => {
  t.deepEqual(await stepsThatRun((c) => writeFile(join(c, 'app/ignored.txt'), 'changed\n')), everything);
});

test('a build arg the RUN sees: that RUN and what follows; the COPY before it stays cached', async (t) => {
  t.deepEqual(await stepsThatRun(async () => undefined, { USED: 'b' }), ['runCat', 'copyFrom', 'runDone']);
});

test('a build arg no stage declares: nothing runs', async (t) => {
  t.deepEqual(await stepsThatRun(async () => undefined, { NOT_DECLARED: 'x' }), everything);
});

test('an ENV the RUN sees: the RUN and what follows; the COPY does not see ENV', async (t) => {
  const edit = async (c: string) => {
    const path = join(c, 'Dockerfile');
    await writeFile(path, (await readFile(path, 'utf8')).replace('ENV E=1', 'ENV E=2'));
  };
  t.deepEqual(await stepsThatRun(edit), ['runCat', 'copyFrom', 'runDone']);
});

test('instruction text: only that step', async (t) => {
  const edit = async (c: string) => {
    const path = join(c, 'Dockerfile');
    await writeFile(path, (await readFile(path, 'utf8')).replace('RUN echo done > /done', 'RUN echo finished > /done'));
  };
  t.deepEqual(await stepsThatRun(edit), ['runDone']);
});

test('the base image: every step of the stage built on it, not the other stage', async (t) => {
  const other = `${uniqueName('msbuild-matrix-base')}:latest`;
  await makeBaseImage(other, 'two');
  try {
    t.deepEqual(await stepsThatRun(async () => undefined, {}, other), afterCopy);
  } finally {
    await removeImages(other);
  }
});

test('an upstream stage whose output changes: its RUN and the COPY --from it, then the rest', async (t) => {
  t.deepEqual(await stepsThatRun(async () => undefined, { UP: '2' }), ['upRun', 'copyFrom', 'runDone']);
});

test('an upstream stage rebuilt to the same content: the COPY --from it stays cached', async (t) => {
  // A different RUN text in the upstream stage that writes the same bytes.
  const edit = async (c: string) => {
    const path = join(c, 'Dockerfile');
    await writeFile(
      path,
      (await readFile(path, 'utf8')).replace('RUN echo "$UP" > /up', 'RUN printf "%s\\n" "$UP" > /up'),
    );
  };
  const ran = await stepsThatRun(edit);
  t.false(ran.includes('copyFrom'));
  t.false(ran.includes('runDone'));
});
