// Integration: WORKDIR creates the cleaned path only (`/abs/./x/../y/` makes /abs/y, not /abs/x), as
// current BuildKit's mkdir does, while the config keeps the path as written. Engine 20.10's BuildKit
// created /abs/x too, so the expected image comes from current BuildKit's source (llb normalizePath).
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import { docker, imageFiles, madeByThisFile, makeContext, uniqueName } from '../support/docker.js';

const { cleanup, tags } = madeByThisFile();

for (const base of ['busybox', 'scratch']) {
  test(`WORKDIR /abs/./x/../y/ creates only /abs/y (FROM ${base})`, async (t) => {
    const context = await makeContext({ Dockerfile: `FROM ${base}\nWORKDIR /abs/./x/../y/\n` });
    const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-workdir-cache-'));
    cleanup.push(context, cacheDir);
    const tag = `${uniqueName('msbuild-workdir')}:latest`;
    tags.push(tag);
    await build({ context, tags: [tag], pull: 'never', cacheDir, network: 'none' });
    const files = await imageFiles(tag);
    t.true(files.has('/abs/y'));
    t.false(files.has('/abs/x'));
    const image = await docker.getImage(tag).inspect();
    t.is(image.Config.WorkingDir, '/abs/./x/../y/');
  });
}
