// Integration: --build-context on the daemon, as buildx builds with it (Engine 20.10's `docker build`
// has no named contexts; the expected images follow BuildKit's frontend): docker-image:// stands for
// an image and a stage, target: for another stage, a directory for FROM and COPY --from.
import test from 'ava';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import { msbuild } from '../support/cli.js';
import { imageFiles, madeByThisFile, makeContext, runImage, uniqueName } from '../support/docker.js';

const { cleanup, tags } = madeByThisFile();

async function buildWith(dockerfile: string, buildContexts: string[]) {
  const context = await makeContext({ Dockerfile: dockerfile });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-named-cache-'));
  cleanup.push(context, cacheDir);
  const tag = `${uniqueName('msbuild-named')}:latest`;
  tags.push(tag);
  await build({ context, tags: [tag], pull: 'never', cacheDir, network: 'none', buildContexts });
  return tag;
}

test('docker-image:// replaces the image a FROM names, and a stage of its name without running it', async (t) => {
  const tag = await buildWith(
    'FROM alpine AS base\nRUN echo from-base > /marker\nFROM deps\nCOPY --from=base /marker /bin/busybox /from-base/\n',
    ['alpine=docker-image://busybox:latest', 'deps=docker-image://debian:bookworm-slim'],
  );
  t.regex(await runImage(tag, ['cat', '/etc/os-release']), /Debian GNU\/Linux 12/);
  t.is((await runImage(tag, ['cat', '/from-base/marker'])).trim(), 'from-base');
  t.true((await imageFiles(tag)).has('/from-base/busybox'));
});

test('target:STAGE and a directory context, through the CLI', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-named-dir-'));
  cleanup.push(dir);
  await writeFile(join(dir, 'data.txt'), 'from the directory\n');
  await writeFile(join(dir, '.dockerignore'), 'secret.txt\n');
  await writeFile(join(dir, 'secret.txt'), 'ignored\n');
  const context = await makeContext({
    Dockerfile:
      'FROM tools AS app\nCOPY --from=files data.txt /app/\nFROM busybox AS toolbox\nRUN echo tools > /tool\nFROM files AS raw\n',
  });
  cleanup.push(context);
  const tag = `${uniqueName('msbuild-named-cli')}:latest`;
  const raw = `${uniqueName('msbuild-named-raw')}:latest`;
  tags.push(tag, raw);
  const app = await msbuild([
    'build',
    '-q',
    '--network',
    'none',
    '--target',
    'app',
    '--build-context',
    'tools=target:toolbox',
    '--build-context',
    `files=${dir}`,
    '-t',
    tag,
    context,
  ]);
  t.is(app.code, 0, app.stderr);
  t.is((await runImage(tag, ['cat', '/tool'])).trim(), 'tools');
  t.is((await runImage(tag, ['cat', '/app/data.txt'])).trim(), 'from the directory');
  const rawBuild = await msbuild([
    'build',
    '-q',
    '--network',
    'none',
    '--target',
    'raw',
    '--build-context',
    `files=${dir}`,
    '-t',
    raw,
    context,
  ]);
  t.is(rawBuild.code, 0, rawBuild.stderr);
  const files = await imageFiles(raw);
  t.true(files.has('/data.txt'));
  t.false(files.has('/secret.txt'));
});
