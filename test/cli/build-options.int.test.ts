// Integration: build command options — --trace and --timeline files, --progress json, RUN --network,
// --pull=always against a registry that cannot be reached, bake --print.
import test from 'ava';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { msbuild } from '../support/cli.js';
import { makeContext, removeDir, removeImages, requireDaemon, runImage, uniqueName } from '../support/docker.js';

const cleanup: Array<() => Promise<unknown>> = [];
test.before(requireDaemon);
test.after.always(async () => {
  for (const step of cleanup) await step().catch(() => undefined);
});

async function workspace(files: Record<string, string>) {
  const context = await makeContext(files);
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-opts-'));
  cleanup.push(
    () => removeDir(context),
    () => removeDir(cacheDir),
  );
  return { context, cacheDir, common: ['--network', 'none', '--pull', 'never', '--cache-dir', cacheDir] };
}

test('--trace writes trace-event JSON and --timeline an SVG with a bar per step', async (t) => {
  const { context, common } = await workspace({
    Dockerfile:
      'FROM busybox AS a\nRUN echo a\nFROM busybox AS b\nRUN echo b\nFROM scratch\nCOPY --from=a /bin/busybox /a\nCOPY --from=b /bin/busybox /b\n',
  });
  const trace = join(context, 'trace.json');
  const timeline = join(context, 'timeline.svg');
  const result = await msbuild([
    'build',
    '--progress',
    'quiet',
    ...common,
    '--trace',
    trace,
    '--timeline',
    timeline,
    context,
  ]);
  t.is(result.code, 0, result.stderr);
  const events = JSON.parse(await readFile(trace, 'utf8')).traceEvents as Array<{
    ph: string;
    name: string;
    args?: { name?: string };
  }>;
  t.is(events.filter((e) => e.ph === 'X').length, 6, 'two FROMs, two RUNs, two COPYs');
  t.deepEqual(
    events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name')
      .map((e) => e.args?.name)
      .sort(),
    ['a', 'b', 'stage-2'],
  );
  const svg = await readFile(timeline, 'utf8');
  t.regex(svg, /^<svg[\s\S]*<\/svg>\s*$/);
  t.is((svg.match(/<rect class="step /g) ?? []).length, 6);
});

test('--progress json writes one event per line with stable fields', async (t) => {
  const { context, common } = await workspace({ Dockerfile: 'FROM busybox\nRUN echo from-run\n' });
  const result = await msbuild(['build', '--progress', 'json', ...common, context]);
  t.is(result.code, 0, result.stderr);
  const events = result.stderr
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; version?: number; text?: string });
  t.is(events.find((e) => e.type === 'build-start')?.version, 1);
  t.true(events.some((e) => e.type === 'step-log' && e.text?.includes('from-run')));
  t.is(events.at(-1)?.type, 'build-done');
});

test('--progress json on a failure: stderr holds only JSON lines, build-error last and naming the step', async (t) => {
  const { context, common } = await workspace({ Dockerfile: 'FROM busybox\nRUN echo out; echo err >&2; exit 3\n' });
  const failed = await msbuild(['build', '--progress', 'json', ...common, context]);
  t.is(failed.code, 1);
  t.is(failed.stdout, '');
  const events = failed.stderr
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; stepId?: string; message?: string });
  const last = events.at(-1);
  t.is(last?.type, 'build-error');
  t.is(last?.stepId, '0.2');
  t.regex(last?.message ?? '', /\[stage-0 2\/2\] RUN echo out; echo err >&2; exit 3: .*exit code 3/);

  // Bad input: the one line is a build-error too, and a Dockerfile error carries its position.
  const usage = await msbuild(['build', '--progress', 'json', '--network', 'bogus', context]);
  t.is(usage.code, 1);
  t.deepEqual(
    usage.stderr
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { type: string }).type),
    ['build-error'],
  );
  await writeFile(join(context, 'Dockerfile'), 'FROM busybox\nCOPY --bad a b\n');
  const syntax = await msbuild(['build', '--progress', 'json', ...common, context]);
  const syntaxError = JSON.parse(syntax.stderr.trimEnd().split('\n').at(-1) ?? '{}') as { location?: string };
  t.is(syntaxError.location, 'Dockerfile:2:6');
});

test('many steps at once print no Node warning (one build signal, many listeners)', async (t) => {
  const stages = Array.from({ length: 8 }, (_, i) => `FROM busybox AS s${i}\nRUN echo ${i} > /f${i}`).join('\n');
  const copies = Array.from({ length: 8 }, (_, i) => `COPY --from=s${i} /f${i} /`).join('\n');
  const { context, common } = await workspace({ Dockerfile: `${stages}\nFROM scratch\n${copies}\n` });
  const result = await msbuild(['build', '--progress', 'plain', ...common, context]);
  t.is(result.code, 0, result.stderr);
  t.notRegex(result.stderr, /Warning|warning:/, 'nothing but the build on stderr');
});

test('RUN --network=none isolates a step even when the build uses the host network', async (t) => {
  const tag = `${uniqueName('msbuild-net')}:latest`;
  cleanup.push(() => removeImages(tag));
  const { context, cacheDir } = await workspace({
    Dockerfile: 'FROM busybox\nRUN ls /sys/class/net > /host-net\nRUN --network=none ls /sys/class/net > /no-net\n',
  });
  const result = await msbuild([
    'build',
    '--progress',
    'quiet',
    '--network',
    'host',
    '--pull',
    'never',
    '--cache-dir',
    cacheDir,
    '-t',
    tag,
    context,
  ]);
  t.is(result.code, 0, result.stderr);
  t.is((await runImage(tag, ['cat', '/no-net'])).trim(), 'lo');
  t.not((await runImage(tag, ['cat', '/host-net'])).trim(), 'lo');
});

test('a base image that is not in the daemon: --pull=never says so; --pull names the registry error', async (t) => {
  const { context, cacheDir } = await workspace({ Dockerfile: 'FROM msbuild-test/never-published:1\n' });
  const never = await msbuild([
    'build',
    '--progress',
    'quiet',
    '--network',
    'none',
    '--pull',
    'never',
    '--cache-dir',
    cacheDir,
    context,
  ]);
  t.is(never.code, 1);
  t.regex(never.stderr, /image "msbuild-test\/never-published:1" is not in the daemon and was not pulled/);
  // A registry on a closed loopback port: the pull fails at once, without any traffic off the machine.
  await writeFile(join(context, 'Dockerfile'), 'FROM 127.0.0.1:1/msbuild/none:1\n');
  const pulled = await msbuild([
    'build',
    '--progress',
    'quiet',
    '--network',
    'none',
    '--pull',
    '--cache-dir',
    cacheDir,
    context,
  ]);
  t.is(pulled.code, 1);
  t.regex(
    pulled.stderr,
    /^error: \[stage-0 1\/1\] FROM 127\.0\.0\.1:1\/msbuild\/none:1: cannot pull image "127\.0\.0\.1:1\/msbuild\/none:1": .*(connection refused|connect)/m,
  );
  t.regex(pulled.stderr, /--> Dockerfile:1/, 'the error points at the FROM line');
});

test('bake --print shows the resolved targets; unknown keys are errors with the line', async (t) => {
  const { context } = await workspace({ Dockerfile: 'FROM busybox\n' });
  await writeFile(
    join(context, 'msbuild.yaml'),
    'targets:\n  base:\n    args:\n      A: "1"\n  app:\n    inherits: [base]\n    tags: [app:dev]\n',
  );
  const printed = await msbuild(['bake', '-f', join(context, 'msbuild.yaml'), '--print', 'app']);
  t.is(printed.code, 0, printed.stderr);
  const app = (JSON.parse(printed.stdout) as { target: Record<string, { args: object; tags: string[] }> }).target.app;
  t.like(app, { args: { A: '1' }, tags: ['app:dev'] });
  await writeFile(join(context, 'msbuild.yaml'), 'targets:\n  app:\n    tag: [x]\n');
  const bad = await msbuild(['bake', '-f', join(context, 'msbuild.yaml'), '--print']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /msbuild\.yaml:3: unknown key "tag" in target app/);
});
