// Integration: every tutorial example of fixtures/apps (examples.json) builds with msbuild from its
// Dockerfile as the tutorial writes it, passes its smoke test (servers reached over loopback only),
// holds only what the tutorial says its final image holds, and equals BuildKit's image of the same
// Dockerfile. A failing pytest fails the Python build at `RUN pytest` and leaves no image; the
// calculator's commented variant is refused at the line BuildKit refuses. Each image is built once
// per file and shared by the tests that look at it; all builds share one cache directory.
import test from 'ava';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildError } from '../../engine/build-error.js';
import { build, type BuildResult } from '../../engine/build.js';
import { prune } from '../../engine/cache/manage.js';
import { CacheStore } from '../../engine/cache/store.js';
import { DockerImageStore } from '../../engine/docker/image-store.js';
import { DockerfileSyntaxError } from '../../engine/dockerfile/errors.js';
import {
  docker,
  dockerCli,
  removeDir,
  removeImages,
  requireDaemon,
  runCommand,
  sharedNetworkMode,
  uniqueName,
} from '../support/docker.js';
import { addedFiles, appsDir, checkFiles, loadExamples, runSmoke, type Example } from '../support/examples.js';
import { diffSnapshots, snapshotImage } from '../support/image-snapshot.js';

// Tests and hooks are declared once nothing is awaited any more (ava starts the file then).
const examples = await loadExamples();
const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-tutorials-cache-'));
const made = { tags: [] as string[], cleanup: [cacheDir] };
test.before(requireDaemon);
// The step images of every build here are the entries of its cache directory: pruned with it, once
// the tagged images that build on them are gone.
test.after.always(async () => {
  await removeImages(...made.tags);
  await prune(new CacheStore(cacheDir), new DockerImageStore(docker), { all: true });
  for (const dir of made.cleanup) await removeDir(dir);
});

/**
 * The calculator's builder runs `apt-get install -y golang-go` (Go, gcc and their recommends from
 * Debian's mirror, minutes of dpkg on a loaded machine): BuildKit's copy of it is left to
 * `make examples`, which compares every example.
 */
const noOracle = new Set(['go-calculator']);

const builds = new Map<string, Promise<BuildResult & { tag: string }>>();
/** msbuild's image of an example (or of another Dockerfile in its directory), built once per file. */
function ours(example: Example, dockerfile = 'Dockerfile'): Promise<BuildResult & { tag: string }> {
  const key = `${example.name}/${dockerfile}`;
  let pending = builds.get(key);
  if (!pending) {
    const tag = `${uniqueName(`msbuild-tutorial-${example.name}`)}:ms`;
    made.tags.push(tag);
    pending = build({
      context: join(appsDir, example.name),
      dockerfile: join(appsDir, example.name, dockerfile),
      tags: [tag],
      network: example.network,
      pull: 'never',
      cacheDir,
    }).then((result) => ({ ...result, tag }));
    builds.set(key, pending);
  }
  return pending;
}

async function buildKit(options: { example: Example; dockerfile?: string; tag?: string }): Promise<{
  code: number;
  stderr: string;
}> {
  const { example, dockerfile = 'Dockerfile', tag } = options;
  const context = join(appsDir, example.name);
  // --no-cache: a cached COPY of BuildKit's keeps the mtimes of the context it was first built
  // from (its key ignores them, as msbuild's does), and files a RUN derives from them differ
  // (python-test-slim's .pyc headers hold their source's mtime) when a fresh clone is compared.
  const args = ['build', '-q', '--no-cache', '--network', example.network, '-f', join(context, dockerfile)];
  if (tag) {
    made.tags.push(tag);
    args.push('-t', tag);
  }
  return runCommand(dockerCli, [...args, context], { env: { DOCKER_BUILDKIT: '1' }, timeoutMs: 600_000 });
}

for (const example of examples) {
  test(`${example.name}: builds with msbuild and its smoke test passes`, async (t) => {
    t.timeout(600_000);
    const { tag } = await ours(example);
    const smoke = await runSmoke({ example: example.name, image: tag, network: await sharedNetworkMode() });
    t.is(smoke.code, 0, smoke.stderr);
    t.log(smoke.stdout.trim());
  });

  test(`${example.name}: the final image holds only what the tutorial says`, async (t) => {
    t.timeout(600_000);
    const { tag } = await ours(example);
    const paths = await addedFiles({ image: tag, base: example.finalBase });
    t.deepEqual(checkFiles(paths, example.files), { unexpected: [], missing: [] }, paths.join('\n'));
  });

  if (!noOracle.has(example.name)) {
    test(`${example.name}: equals BuildKit's image of the same Dockerfile (config, history, files)`, async (t) => {
      t.timeout(600_000);
      const theirs = `${uniqueName(`msbuild-tutorial-${example.name}`)}:bk`;
      const [{ tag }, oracle] = await Promise.all([ours(example), buildKit({ example, tag: theirs })]);
      t.is(oracle.code, 0, oracle.stderr);
      t.deepEqual(diffSnapshots(await snapshotImage(docker, tag), await snapshotImage(docker, theirs)), []);
    });
  }
}

const byName = (name: string): Example => {
  const example = examples.find((e) => e.name === name);
  if (!example) throw new Error(`fixtures/apps/examples.json has no ${name}`);
  return example;
};

test('go-calculator: 5 + 3 on stdin prints 8, from a FROM scratch image of one binary', async (t) => {
  t.timeout(600_000);
  const { tag } = await ours(byName('go-calculator'));
  const result = await runCommand(dockerCli, ['run', '--rm', '-i', '--network', await sharedNetworkMode(), tag], {
    input: '5 + 3\n',
  });
  t.is(result.stdout, '8\n', result.stderr);
});

test('go-calculator: the commented variant is refused at the line BuildKit refuses, with a hint', async (t) => {
  const example = byName('go-calculator');
  const refused = example.refused;
  if (!refused) return t.fail('examples.json: go-calculator has no refused variant');
  const error = await t.throwsAsync(ours(example, refused.dockerfile), { instanceOf: DockerfileSyntaxError });
  t.is(error?.position.line, refused.line);
  t.regex(error?.message ?? '', /a Dockerfile comment must start its line/);
  const oracle = await buildKit({ example, dockerfile: refused.dockerfile });
  t.not(oracle.code, 0);
  t.regex(oracle.stderr, new RegExp(`dockerfile parse error line ${refused.line}: FROM requires either one or three`));
});

test('python-test-slim: a failing test fails the build at RUN pytest, naming it, and leaves no image', async (t) => {
  t.timeout(600_000);
  const context = await mkdtemp(join(tmpdir(), 'msbuild-tutorial-pytest-'));
  made.cleanup.push(context);
  await cp(join(appsDir, 'python-test-slim'), context, { recursive: true });
  await writeFile(join(context, 'test_broken.py'), 'def test_sum_is_nine():\n    assert 5 + 3 == 9\n');
  const tag = `${uniqueName('msbuild-tutorial-pytest')}:ms`;
  made.tags.push(tag);
  const error = await t.throwsAsync(build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir }), {
    instanceOf: BuildError,
  });
  t.is(error?.step?.label, '[builder 6/6] RUN pytest');
  t.is(error?.exitCode, 1);
  t.true(
    error?.outputTail.some((line) => line.includes('FAILED test_broken.py::test_sum_is_nine')),
    error?.outputTail.join('\n'),
  );
  await t.throwsAsync(docker.getImage(tag).inspect());
});

test('go-single-vs-multi: the single-stage image runs too and is the multi-stage one plus the whole Go toolchain', async (t) => {
  t.timeout(600_000);
  const example = byName('go-single-vs-multi');
  const [multi, single] = await Promise.all([ours(example), ours(example, example.singleStage)]);
  const smoke = await runSmoke({ example: example.name, image: single.tag, network: await sharedNetworkMode() });
  t.is(smoke.code, 0, smoke.stderr);
  const [multiSize, singleSize] = await Promise.all(
    [multi.tag, single.tag].map(async (tag) => (await docker.getImage(tag).inspect()).Size),
  );
  t.true(singleSize > 20 * multiSize, `single ${singleSize} bytes, multi ${multiSize} bytes`);
});

test('react-vite-nginx: COPY package\\*.json is the glob package*.json (the lock file comes too, as in BuildKit)', async (t) => {
  t.timeout(600_000);
  const example = byName('react-vite-nginx');
  const { stageImages } = await ours(example);
  let base = stageImages.get('base');
  if (!base) return t.fail(`no image for stage base: ${[...stageImages.keys()].join(', ')}`);
  if (base.startsWith('oci:')) {
    // The OCI worker keeps an intermediate stage in its snapshots: `--target base` (all cached) loads it.
    const tag = `${uniqueName('msbuild-tutorial-base')}:ms`;
    made.tags.push(tag);
    const context = join(appsDir, example.name);
    const target = await build({
      context,
      tags: [tag],
      target: 'base',
      network: example.network,
      pull: 'never',
      cacheDir,
    });
    t.is(target.summary.stepsRun, 0);
    base = tag;
  }
  const listing = await runCommand(dockerCli, [
    'run',
    '--rm',
    '--network',
    await sharedNetworkMode(),
    base,
    'ls',
    '/app',
  ]);
  t.regex(listing.stdout, /^package-lock\.json$/m);
  t.regex(listing.stdout, /^package\.json$/m);
});
