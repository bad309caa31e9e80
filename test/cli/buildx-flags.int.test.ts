// Integration: the buildx and legacy flags that reach the daemon — outputs to stdout and to a docker
// archive, a stdin context, --platform, --cache-from that finds nothing or an image (the legacy
// semantics), RUN container settings, a named network, --progress rawjson — against the real daemon.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, msbuild } from '../support/cli.js';
import { dockerCli, madeByThisFile, makeContext, runCommand, runImage, uniqueName } from '../support/docker.js';

const { cleanup, tags } = madeByThisFile();

async function workspace(files: Record<string, string>) {
  const context = await makeContext(files);
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-buildx-flags-'));
  cleanup.push(context, cacheDir);
  return { context, cacheDir, common: ['--network', 'none', '--pull', 'never', '--cache-dir', cacheDir] };
}

/** Runs the CLI with stdout into a file (binary output). */
async function toFile(args: string[], out: string, input?: Buffer): Promise<{ code: number; stderr: string }> {
  const run = spawnSync(process.execPath, [cliPath, ...args], {
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 1 << 28,
  });
  await writeFile(out, run.stdout);
  return { code: run.status ?? -1, stderr: run.stderr.toString() };
}

const tarNames = (file: string) =>
  runCommand('tar', ['tf', file]).then((result) => result.stdout.split('\n').filter(Boolean));

test('-o - and -o type=tar,dest=- write the filesystem tar to stdout; type=docker,dest=FILE a docker save archive', async (t) => {
  const { context, common } = await workspace({ Dockerfile: 'FROM scratch\nCOPY hello /hello\n', hello: 'hi\n' });
  const out = join(context, 'out.tar');
  const dash = await toFile(['build', ...common, '-o', '-', context], out);
  t.is(dash.code, 0, dash.stderr);
  t.deepEqual(await tarNames(out), ['hello']);
  const dest = await toFile(['build', ...common, '-q', '-o', 'type=tar,dest=-', context], out);
  t.is(dest.code, 0, dest.stderr);
  t.deepEqual(await tarNames(out), ['hello'], 'no image ID mixed into the tar');
  const tag = `${uniqueName('msbuild-archive')}:1`;
  tags.push(tag);
  const archive = join(context, 'image.tar');
  const saved = await msbuild(['build', ...common, '-t', tag, '-o', `type=docker,dest=${archive}`, context]);
  t.is(saved.code, 0, saved.stderr);
  const names = await tarNames(archive);
  t.true(names.includes('manifest.json'));
  t.false(
    (await runCommand('ls', [context])).stdout.split('\n').includes('-'),
    'nothing named - in the working directory',
  );
});

test('a context archive on stdin, and -f - with a Dockerfile on stdin', async (t) => {
  const { context, common } = await workspace({
    Dockerfile: 'FROM busybox\nCOPY file /file\nRUN cat /file\n',
    file: 'from-stdin\n',
  });
  const tarred = spawnSync('tar', ['czf', '-', '-C', context, '.']).stdout;
  const tag = `${uniqueName('msbuild-stdin')}:1`;
  tags.push(tag);
  const built = await msbuild(['build', ...common, '-t', tag, '-'], { input: tarred });
  t.is(built.code, 0, built.stderr);
  t.is(await runImage(tag, ['cat', '/file']), 'from-stdin\n');
  const inline = await msbuild(['build', ...common, '-q', '-f', '-', context], {
    input: 'FROM busybox\nRUN echo dockerfile-on-stdin\n',
  });
  t.is(inline.code, 0, inline.stderr);
});

test('--platform: the daemon’s own (or local) builds; another is refused before any step', async (t) => {
  const { context, common } = await workspace({ Dockerfile: 'FROM busybox\nRUN true\n' });
  const own = (await runCommand(dockerCli, ['version', '-f', '{{.Server.Os}}/{{.Server.Arch}}'])).stdout.trim();
  t.is((await msbuild(['build', ...common, '-q', '--platform', own, context])).code, 0);
  t.is((await msbuild(['build', ...common, '-q', '--platform', 'local', context])).code, 0);
  const foreign = own.endsWith('arm64') ? 'linux/amd64' : 'linux/arm64';
  const refused = await msbuild(['build', ...common, '--progress', 'plain', '--platform', foreign, context]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, new RegExp(`--platform ${foreign}: the daemon runs ${own}`));
  t.notRegex(refused.stderr, /RUN true/, 'no step ran');
});

test('--cache-from: a missing directory warns and builds on; an image serves as cache (legacy semantics)', async (t) => {
  const { context, common } = await workspace({
    Dockerfile: 'FROM busybox\nENV A=1\nRUN echo one > /one\nWORKDIR /w\nCOPY f /f\nRUN echo two\n',
    f: 'f',
  });
  const missing = await msbuild([
    'build',
    ...common,
    '--progress',
    'plain',
    '--cache-from',
    join(context, 'nowhere'),
    context,
  ]);
  t.is(missing.code, 0, missing.stderr);
  t.regex(missing.stderr, /WARNING: no cache export in .*nowhere: no such directory; building without it/);
  const tag = `${uniqueName('msbuild-cache-image')}:1`;
  tags.push(tag);
  t.is((await msbuild(['build', ...common, '-q', '-t', tag, context])).code, 0);
  const fresh = await mkdtemp(join(tmpdir(), 'msbuild-fresh-cache-'));
  cleanup.push(fresh);
  const reused = await msbuild([
    'build',
    '--network',
    'none',
    '--pull',
    'never',
    '--cache-dir',
    fresh,
    '--progress',
    'json',
    '--cache-from',
    tag,
    '--cache-from',
    'msbuild-test/not-here:1',
    context,
  ]);
  t.is(reused.code, 0, reused.stderr);
  const events = reused.stderr
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; step?: { name: string }; message?: string });
  const cached = events.filter((event) => event.type === 'step-cached').map((event) => event.step?.name);
  t.deepEqual(
    cached,
    ['RUN echo one > /one', 'WORKDIR /w', 'RUN echo two'],
    'RUN and WORKDIR from the image; COPY runs (its file is checked), and then RUN matches again',
  );
  t.true(
    events.some(
      (event) =>
        event.type === 'warning' &&
        /cache from msbuild-test\/not-here:1: .*\(nothing imported\)/.test(event.message ?? ''),
    ),
  );
});

test('RUN containers get --add-host, --shm-size, --ulimit, --memory; --progress rawjson is SolveStatus lines', async (t) => {
  const { context, common } = await workspace({
    Dockerfile:
      'FROM busybox\nRUN grep myhost /etc/hosts && ulimit -n && df -k /dev/shm | tail -1 && cat /sys/fs/cgroup/memory/memory.limit_in_bytes\n',
  });
  const result = await msbuild([
    'build',
    ...common,
    '--no-cache',
    '--progress',
    'rawjson',
    '--add-host',
    'myhost=10.1.2.3',
    '--ulimit',
    'nofile=512:1024',
    '--shm-size',
    '16m',
    '-m',
    '64m',
    context,
  ]);
  t.is(result.code, 0, result.stderr);
  const statuses = result.stderr
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { logs?: Array<{ data: string }>; vertexes?: Array<{ name: string }> });
  const output = statuses
    .flatMap((status) => status.logs ?? [])
    .map((log) => Buffer.from(log.data, 'base64').toString())
    .join('');
  t.regex(output, /10\.1\.2\.3\s+myhost/);
  t.regex(output, /^512$/m);
  t.regex(output, /shm\s+16384\s/);
  t.regex(output, /^67108864$/m);
  t.true(statuses.some((status) => status.vertexes?.some((vertex) => vertex.name.startsWith('[stage-0 2/2] RUN'))));
});

test('--network NAME: RUN steps join a named Docker network (its resolver, 127.0.0.11, answers them)', async (t) => {
  const network = uniqueName('msbuild-test-net');
  t.is((await runCommand(dockerCli, ['network', 'create', '--internal', network])).code, 0);
  try {
    const { context, cacheDir } = await workspace({ Dockerfile: 'FROM busybox\nRUN cat /etc/resolv.conf\n' });
    const result = await msbuild([
      'build',
      '--pull',
      'never',
      '--cache-dir',
      cacheDir,
      '--no-cache',
      '--progress',
      'plain',
      '--network',
      network,
      context,
    ]);
    t.is(result.code, 0, result.stderr);
    t.regex(result.stderr, /nameserver 127\.0\.0\.11/);
    const missing = await msbuild([
      'build',
      '--pull',
      'never',
      '--cache-dir',
      cacheDir,
      '--network',
      `${network}-missing`,
      context,
    ]);
    t.is(missing.code, 1);
    t.regex(missing.stderr, new RegExp(`network "${network}-missing" not found`));
  } finally {
    await runCommand(dockerCli, ['network', 'rm', network]);
  }
});

test('bake: a target FROM another target’s tag builds after it; --metadata-file is keyed by target', async (t) => {
  const base = `${uniqueName('msbuild-bake-base')}:1`;
  const app = `${uniqueName('msbuild-bake-app')}:1`;
  tags.push(base, app);
  const { context, cacheDir } = await workspace({
    'base.Dockerfile': 'FROM busybox\nRUN echo base > /base\n',
    'app.Dockerfile': `FROM ${base}\nRUN cat /base\n`,
    'docker-bake.hcl': `group "default" {\n  targets = ["app", "base"]\n}\ntarget "app" {\n  dockerfile = "app.Dockerfile"\n  tags = ["${app}"]\n}\ntarget "base" {\n  dockerfile = "base.Dockerfile"\n  tags = ["${base}"]\n}\n`,
  });
  const metadata = join(context, 'metadata.json');
  const result = await msbuild(
    [
      'bake',
      '--network',
      'none',
      '--pull',
      'never',
      '--cache-dir',
      cacheDir,
      '--progress',
      'plain',
      '--load',
      '--provenance=false',
      '--metadata-file',
      metadata,
    ],
    { cwd: context },
  );
  t.is(result.code, 0, result.stderr);
  const written = JSON.parse(await readFile(metadata, 'utf8')) as Record<string, Record<string, string>>;
  t.deepEqual(Object.keys(written).sort(), ['app', 'base']);
  t.is(written.app['image.name'], app);
  t.regex(written.base['containerimage.digest'], /^sha256:[0-9a-f]{64}$/);
  t.is(await runImage(app, ['cat', '/base']), 'base\n');
});
