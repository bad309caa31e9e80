// Integration: `msbuild cache explain` names what changed since a step last ran.
import test from 'ava';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { msbuild } from '../support/cli.js';
import { makeContext, removeDir, requireDaemon } from '../support/docker.js';

const cleanup: string[] = [];
test.before(requireDaemon);
test.after.always(async () => {
  for (const dir of cleanup) await removeDir(dir);
});

test('after a file changes, explain names the file, and the steps after it as following from it', async (t) => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-explain-cache-'));
  const context = await makeContext({
    Dockerfile: 'FROM busybox\nARG MODE=fast\nCOPY src/ /src/\nRUN ls /src > /listing\nCOPY README /README\n',
    'src/main.txt': 'main\n',
    'src/util.txt': 'util\n',
    README: 'readme\n',
  });
  cleanup.push(cacheDir, context);
  const common = ['--cache-dir', cacheDir];
  t.is(
    (await msbuild(['build', '--progress', 'quiet', '--network', 'none', '--pull', 'never', ...common, context])).code,
    0,
  );
  const clean = await msbuild(['cache', ...common, 'explain', context]);
  t.is(clean.code, 0, clean.stderr);
  t.regex(clean.stdout, /every step is cached/);

  await writeFile(join(context, 'src/util.txt'), 'util changed\n');
  const changed = await msbuild(['cache', ...common, 'explain', context]);
  t.is(changed.code, 0, changed.stderr);
  t.regex(changed.stdout, /COPY src\/ \/src\/: will run\n\s+file src\/util.txt changed/);
  t.regex(changed.stdout, /RUN ls \/src > \/listing: will run\n\s+an earlier step changed/);
  t.notRegex(changed.stdout, /main.txt/);

  const argChanged = await msbuild(['cache', ...common, 'explain', '--build-arg', 'MODE=slow', context]);
  t.regex(argChanged.stdout, /env\/arg MODE changed: MODE=fast → MODE=slow/);
});
