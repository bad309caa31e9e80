// Integration: the OCI worker on a second build of the same cache dir. A one-file change makes a
// scratch stage's first COPY a cache hit (a loaded image) and its next COPY a new layer written on
// it: that state must chain onto the loaded image (it once recursed until the stack overflowed).
import test from 'ava';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import type { BuildEvent } from '../../engine/events.js';
import { dockerCli, madeByThisFile, makeContext, runCommand, uniqueName } from '../support/docker.js';

const { cleanup, tags } = madeByThisFile();

test('a one-file change: a COPY onto a cached COPY of a scratch stage builds, and the image has both files', async (t) => {
  const context = await makeContext({
    Dockerfile: 'FROM busybox AS a\nRUN echo a > /a\nFROM scratch\nCOPY --from=a /a /a\nCOPY f /f\n',
    f: 'one\n',
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-oci-rebuild-'));
  cleanup.push(context, cacheDir);
  const tag = `${uniqueName('msbuild-oci-rebuild')}:latest`;
  tags.push(tag);
  const options = {
    context,
    tags: [tag],
    cacheDir,
    worker: 'oci' as const,
    pull: 'never' as const,
    network: 'none' as const,
  };
  const first = await build(options);
  t.is(first.summary.worker, 'oci');
  await writeFile(join(context, 'f'), 'two\n');
  const events: BuildEvent[] = [];
  const second = await build({ ...options, onEvent: (event) => events.push(event) });
  t.true(
    events.some((event) => event.type === 'step-cached' && event.step.name.startsWith('COPY --from=a')),
    'the first COPY is a hit',
  );
  t.is(second.config.rootfs.diff_ids[0], first.config.rootfs.diff_ids[0]);
  t.is(second.config.rootfs.diff_ids.length, 2);
  // A scratch image has no shell: its files are read from the daemon's save of it.
  const saved = await runCommand('sh', [
    '-c',
    `${dockerCli} save ${tag} | tar -xO --wildcards '*/layer.tar' | tar -ti`,
  ]);
  t.deepEqual(saved.stdout.split('\n').filter(Boolean).sort(), ['a', 'f']);
});
