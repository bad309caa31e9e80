// Integration: the fixture apps build with msbuild to images equal (files and config) to BuildKit's,
// and they work: the static site serves its pages, the build-and-test example runs its tests. (The
// tutorial examples, the Go client/server among them, are test/apps/tutorials.int.test.ts.)
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../engine/build.js';
import {
  docker,
  dockerCli,
  imageFiles,
  removeDir,
  removeImages,
  requireDaemon,
  runCommand,
  sharedNetworkMode,
  uniqueName,
} from './support/docker.js';

const apps = new URL('../../fixtures/apps/', import.meta.url).pathname;
const tags: string[] = [];
let cacheDir = '';

test.before(async () => {
  await requireDaemon();
  cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-apps-cache-'));
});
test.after.always(async () => {
  await removeImages(...tags);
  await removeDir(cacheDir);
});

const configFields = [
  'Env',
  'Cmd',
  'Entrypoint',
  'WorkingDir',
  'User',
  'ExposedPorts',
  'Volumes',
  'Labels',
  'StopSignal',
  'Healthcheck',
  'Shell',
  'OnBuild',
] as const;

async function comparable(image: string) {
  const info = await docker.getImage(image).inspect();
  const config = info.Config as unknown as Record<string, unknown>;
  const fields = Object.fromEntries(configFields.map((f) => [f, config[f] ?? null]));
  const files = [...(await imageFiles(image))].sort(([a], [b]) => a.localeCompare(b));
  return { fields, files };
}

async function buildBoth(app: string): Promise<{ ours: string; theirs: string }> {
  const ours = `${uniqueName(`msbuild-app-${app}`)}:ms`;
  const theirs = `${uniqueName(`msbuild-app-${app}`)}:bk`;
  tags.push(ours, theirs);
  await build({ context: join(apps, app), tags: [ours], network: 'none', pull: 'never', cacheDir });
  const result = await runCommand(dockerCli, ['build', '-q', '--network', 'none', '-t', theirs, join(apps, app)], {
    env: { DOCKER_BUILDKIT: '1' },
  });
  if (result.code !== 0) throw new Error(`docker build ${app}: ${result.stderr}`);
  return { ours, theirs };
}

test('static site: served by busybox httpd as www-data, equal to BuildKit’s', async (t) => {
  const { ours, theirs } = await buildBoth('static-site');
  const container = await docker.createContainer({
    Image: ours,
    HostConfig: { NetworkMode: await sharedNetworkMode() },
  });
  try {
    await container.start();
    let page = '';
    for (let i = 0; i < 50 && !page.includes('<h1>About</h1>'); i++) {
      const result = await runCommand(dockerCli, [
        'exec',
        container.id,
        'wget',
        '-qO-',
        'http://127.0.0.1:8080/about.html',
      ]);
      page = result.stdout;
      if (!page) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.regex(page, /<h1>About<\/h1>/);
  } finally {
    await container.remove({ force: true });
  }
  t.deepEqual(await comparable(ours), await comparable(theirs));
});

test('build-and-test: the final image exists only because the test stage passed', async (t) => {
  const { ours, theirs } = await buildBoth('test-stage');
  const files = await imageFiles(ours);
  t.true(files.has('/tests-passed'));
  const count = await runCommand(dockerCli, ['run', '--rm', '-i', '--network', await sharedNetworkMode(), ours], {
    input: 'three little words\n',
  });
  t.is(count.stdout.trim(), '3');
  t.deepEqual(await comparable(ours), await comparable(theirs));
});
