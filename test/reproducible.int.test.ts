// Integration: SOURCE_DATE_EPOCH makes images msbuild writes itself reproducible — the same COPY-only
// image built twice from scratch (no cache, files touched in between) has the same ID.
import test from 'ava';
import { mkdtemp, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../engine/build.js';
import { docker, makeContext, removeDir, requireDaemon } from './support/docker.js';

const cleanup: string[] = [];
test.before(requireDaemon);
test.after.always(async () => {
  for (const dir of cleanup) await removeDir(dir);
});

test('the same COPY-only image twice with --no-cache gives the same image ID', async (t) => {
  const context = await makeContext({
    Dockerfile:
      'FROM scratch\nCOPY app/ /app/\nCOPY --chmod=0755 run.sh /usr/local/bin/run\nLABEL version=1\nENTRYPOINT ["/usr/local/bin/run"]\n',
    'app/a.txt': 'a\n',
    'app/sub/b.txt': 'b\n',
    'run.sh': '#!/bin/sh\necho run\n',
  });
  cleanup.push(context);
  const once = async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-repro-'));
    cleanup.push(cacheDir);
    return build({
      context,
      network: 'none',
      pull: 'never',
      cacheDir,
      noCache: true,
      buildArgs: { SOURCE_DATE_EPOCH: '1700000000' },
    });
  };
  const first = await once();
  // A fresh checkout would give the files new times: they must not matter.
  await utimes(join(context, 'app/a.txt'), new Date(), new Date());
  const second = await once();
  t.is(second.imageId, first.imageId);
  const info = await docker.getImage(first.imageId).inspect();
  t.is(info.Created, '2023-11-14T22:13:20.000Z'.replace('.000', ''));
});
