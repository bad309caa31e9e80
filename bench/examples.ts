// `make examples`: every tutorial example of fixtures/apps (examples.json) built cold by the msbuild
// command (empty cache directory) and by `DOCKER_BUILDKIT=1 docker build --no-cache` from the same
// Dockerfile, its smoke test run on msbuild's image (over loopback only), its files held against the
// tutorial, both images compared (config, history, files), and one table printed. Removes what it
// made. EXAMPLES=a,b picks examples. Exits 1 when an example fails any of it.
import Docker from 'dockerode';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prune } from '../engine/cache/manage.js';
import { CacheStore } from '../engine/cache/store.js';
import { DockerImageStore } from '../engine/docker/image-store.js';
import { runCommand } from '../test/support/command.js';
import { addedFiles, appsDir, checkFiles, loadExamples, runSmoke, type Example } from '../test/support/examples.js';
import { diffSnapshots, snapshotImage } from '../test/support/image-snapshot.js';

const repoRoot = resolve(new URL('../..', import.meta.url).pathname);
const dockerCli = '/usr/bin/docker';
const docker = new Docker();
const only = process.env.EXAMPLES?.split(',');

interface Row {
  example: string;
  final: string;
  builder: string;
  single: string;
  msbuild: string;
  buildkit: string;
  smoke: string;
  files: string;
  agree: string;
}

const notes: string[] = [];
let failed = false;

function fail(example: string, what: string, detail: string): string {
  failed = true;
  notes.push(`${example}: ${what}\n${detail.trim().replace(/^/gm, '    ')}`);
  return 'NO';
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = process.hrtime.bigint();
  const value = await work();
  return [value, Number(process.hrtime.bigint() - started) / 1e9];
}

async function sizeOf(image: string): Promise<string> {
  return `${((await docker.getImage(image).inspect()).Size / 1e6).toFixed(1)} MB`;
}

/** The msbuild command (as a user runs it), quiet: stdout is the image ID. */
function msbuild(options: { example: Example; args: string[]; cacheDir: string; dockerfile?: string }) {
  const context = join(appsDir, options.example.name);
  return runCommand(
    process.execPath,
    [
      join(repoRoot, 'dist/cli/launcher.cjs'),
      'build',
      '-q',
      '--pull',
      'never',
      '--network',
      options.example.network,
      '--cache-dir',
      options.cacheDir,
      '-f',
      join(context, options.dockerfile ?? 'Dockerfile'),
      ...options.args,
      context,
    ],
    { timeoutMs: 1_800_000 },
  );
}

function buildKit(options: { example: Example; args: string[]; dockerfile?: string }) {
  const context = join(appsDir, options.example.name);
  const dockerfile = join(context, options.dockerfile ?? 'Dockerfile');
  const args = ['build', '-q', '--network', options.example.network, '-f', dockerfile, ...options.args, context];
  return runCommand(dockerCli, args, { env: { DOCKER_BUILDKIT: '1' }, timeoutMs: 1_800_000 });
}

async function measure(example: Example, network: string, tags: string[], cacheDir: string): Promise<Row> {
  const name = example.name;
  const ours = `msbuild-example-${name}:msbuild`;
  const theirs = `msbuild-example-${name}:buildkit`;
  const single = `msbuild-example-${name}:single-stage`;
  const builder = `msbuild-example-${name}:builder-stage`;
  tags.push(ours, theirs, single, builder);
  const row: Row = {
    example: name,
    final: '-',
    builder: '-',
    single: '',
    msbuild: '-',
    buildkit: '-',
    smoke: '-',
    files: '-',
    agree: '-',
  };

  process.stderr.write(`${name}: msbuild build (cold)…\n`);
  const [built, ourTime] = await timed(() => msbuild({ example, args: ['-t', ours], cacheDir }));
  if (built.code !== 0) {
    row.msbuild = fail(name, 'msbuild build failed', built.stderr);
    return row;
  }
  row.msbuild = `${ourTime.toFixed(1)}s`;
  row.final = await sizeOf(ours);
  const stage = await msbuild({ example, args: ['--target', example.builder, '-t', builder], cacheDir });
  row.builder = stage.code === 0 ? await sizeOf(stage.stdout.trim()) : fail(name, 'builder stage', stage.stderr);
  if (example.singleStage) {
    const one = await msbuild({ example, args: ['-t', single], cacheDir, dockerfile: example.singleStage });
    row.single = one.code === 0 ? await sizeOf(single) : fail(name, 'single-stage build failed', one.stderr);
  }

  process.stderr.write(`${name}: BuildKit build (--no-cache)…\n`);
  const [oracle, theirTime] = await timed(() => buildKit({ example, args: ['--no-cache', '-t', theirs] }));
  row.buildkit = oracle.code === 0 ? `${theirTime.toFixed(1)}s` : fail(name, 'BuildKit build failed', oracle.stderr);

  process.stderr.write(`${name}: smoke test, files, comparison…\n`);
  const smoke = await runSmoke({ example: name, image: ours, network });
  row.smoke = smoke.code === 0 ? 'ok' : fail(name, 'smoke test failed', smoke.stdout + smoke.stderr);
  const paths = await addedFiles({ image: ours, base: example.finalBase, docker });
  const { unexpected, missing } = checkFiles(paths, example.files);
  row.files =
    unexpected.length + missing.length === 0
      ? `${paths.length} as said`
      : fail(
          name,
          'files differ from the tutorial',
          [...unexpected.map((p) => `+ ${p}`), ...missing.map((p) => `- ${p}`)].join('\n'),
        );
  if (oracle.code === 0) {
    const differences = diffSnapshots(await snapshotImage(docker, ours), await snapshotImage(docker, theirs));
    row.agree =
      differences.length === 0
        ? 'yes'
        : fail(name, `${differences.length} difference(s) from BuildKit`, differences.join('\n'));
  }

  if (example.refused) {
    const { dockerfile, line, why } = example.refused;
    const [mine, bk] = await Promise.all([
      msbuild({ example, args: [], cacheDir, dockerfile }),
      buildKit({ example, args: [], dockerfile }),
    ]);
    const ourLine = /:(\d+):\d+: /.exec(mine.stderr)?.[1];
    const theirLine = /parse error line (\d+)/.exec(bk.stderr)?.[1];
    const same = mine.code !== 0 && bk.code !== 0 && ourLine === String(line) && theirLine === String(line);
    notes.push(
      `${name}/${dockerfile} (${why}): msbuild refuses line ${ourLine ?? '?'}, BuildKit refuses line ${theirLine ?? '?'}` +
        (same ? '' : ' — MISMATCH') +
        `\n${mine.stderr.trim().replace(/^/gm, '    ')}`,
    );
    if (!same) failed = true;
  }
  return row;
}

/** A namespace with only a loopback interface, for the servers and the probes of the smoke tests. */
async function holdNamespace(): Promise<string> {
  const result = await runCommand(dockerCli, [
    'run',
    '-d',
    '--rm',
    '--network',
    'none',
    '--label',
    'io.msbuild.test-netns=1',
    'busybox:latest',
    'sleep',
    '3600',
  ]);
  if (result.code !== 0) throw new Error(`cannot start a network namespace holder: ${result.stderr}`);
  return result.stdout.trim();
}

async function removeAll(tags: string[], cacheDirs: string[], holder: string | undefined): Promise<void> {
  for (const tag of tags)
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  // The step images msbuild made are its cache entries there: pruning each directory removes them.
  for (const dir of cacheDirs)
    await prune(new CacheStore(dir), new DockerImageStore(docker), { all: true }).catch(() => undefined);
  await rm(cacheRoot, { recursive: true, force: true });
  if (holder)
    await docker
      .getContainer(holder)
      .remove({ force: true })
      .catch(() => undefined);
}

function table(rows: Row[]): string {
  const header = [
    'example',
    'final image',
    'builder stage',
    'single-stage',
    'msbuild',
    'BuildKit',
    'smoke',
    'files',
    'same as BuildKit',
  ];
  const lines = rows.map((r) => [
    r.example,
    r.final,
    r.builder,
    r.single,
    r.msbuild,
    r.buildkit,
    r.smoke,
    r.files,
    r.agree,
  ]);
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

const examples = (await loadExamples()).filter((e) => !only || only.includes(e.name));
const tags: string[] = [];
const cacheRoot = await mkdtemp(join(tmpdir(), 'msbuild-examples-cache-'));
const cacheDirs: string[] = [];
let holder: string | undefined;
const interrupted = () => {
  void removeAll(tags, cacheDirs, holder).finally(() => process.exit(130));
};
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);
const rows: Row[] = [];
try {
  holder = await holdNamespace();
  for (const example of examples) {
    // Each example cold: its own empty cache directory, as BuildKit's --no-cache.
    const own = await mkdtemp(join(cacheRoot, `${example.name}-`));
    cacheDirs.push(own);
    rows.push(await measure(example, `container:${holder}`, tags, own));
  }
} finally {
  await removeAll(tags, cacheDirs, holder);
}
console.log(table(rows));
if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
process.exit(failed ? 1 : 0);
