// Integration: input size never crashes a build. A chain of 10,000 stages (`FROM s{i-1} AS s{i}`, as
// BuildKit builds) and a stage of 20,000 ENV lines build, to the image they describe.
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import { docker, madeByThisFile, makeContext, runImage, uniqueName } from '../support/docker.js';

const made = madeByThisFile();

async function buildText(dockerfile: string): Promise<{ tag: string; imageId: string }> {
  const context = await makeContext({ Dockerfile: dockerfile });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-size-'));
  made.cleanup.push(context, cacheDir);
  const tag = `${uniqueName('msbuild-size')}:latest`;
  made.tags.push(tag);
  const result = await build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir });
  return { tag, imageId: result.imageId };
}

test('a chain of 10,000 stages builds', async (t) => {
  // Two RUNs only: the chain, not the containers, is what is tested.
  const middle = Array.from({ length: 9998 }, (_, i) => `FROM s${i} AS s${i + 1}\n`).join('');
  const { tag } = await buildText(
    `FROM busybox AS s0\nRUN echo first > /first\n${middle}FROM s9998 AS s9999\nRUN cat /first > /last\n`,
  );
  t.is((await runImage(tag, ['cat', '/last'])).trim(), 'first');
});

test('20,000 ENV lines build, every variable in the image', async (t) => {
  const lines = Array.from({ length: 20_000 }, (_, i) => `ENV V${i}=${'y'.repeat(40)}`).join('\n');
  const { tag } = await buildText(`FROM busybox\n${lines}\nENV V7=seven\n`);
  const env = (await docker.getImage(tag).inspect()).Config.Env;
  t.is(env.length, 20_001, 'PATH and the 20,000 variables');
  t.is(env[8], 'V7=seven', 'a variable set again keeps its place, as Docker keeps it');
  t.is((await runImage(tag, ['sh', '-c', 'echo $V19999'])).trim(), 'y'.repeat(40));
});
