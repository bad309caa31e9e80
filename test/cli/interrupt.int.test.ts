// Integration: Ctrl-C (SIGINT) and SIGTERM during a RUN cancel the build, remove its containers and
// exit 130 / 143; the cache stays usable.
import test from 'ava';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { CacheStore } from '../../engine/cache/store.js';
import { ownerLabel } from '../../engine/docker/container.js';
import { msbuild, startMsbuild } from '../support/cli.js';
import { docker, makeContext, removeDir, requireDaemon, runCommand, uniqueName } from '../support/docker.js';

const cleanup: string[] = [];
test.before(requireDaemon);
test.after.always(async () => {
  for (const dir of cleanup) await removeDir(dir);
});

async function containersRunning(marker: string): Promise<number> {
  const containers = await docker.listContainers({ all: true });
  return containers.filter((c) => c.Command.includes(marker)).length;
}

/** Containers (RUN containers and network holders alike) owned by the msbuild process `pid`. */
async function ownedBy(pid: number | undefined): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${ownerLabel}=${hostname()}:${pid}`] } });
  return containers.length;
}

async function until(condition: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} during a RUN removes its container and exits ${code}`, async (t) => {
    const marker = uniqueName('interrupt-me');
    const context = await makeContext({ Dockerfile: `FROM busybox\nCOPY f /f\nRUN sleep 60 # ${marker}\n`, f: 'x' });
    const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-int-cache-'));
    cleanup.push(context, cacheDir);
    const run = startMsbuild(['build', '--progress', 'plain', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, context]);
    t.true(await until(async () => (await containersRunning(marker)) > 0, 30_000), `the RUN container started:\n${run.output()}`);
    const sent = Date.now();
    run.child.kill(signal);
    t.is(await run.exit, code, run.output());
    t.true(Date.now() - sent < 15_000, 'cancelled promptly');
    t.is(await containersRunning(marker), 0, 'no container left');
    t.is(await ownedBy(run.child.pid), 0, 'no network holder left either');
    // The COPY before the RUN finished and stays cached; every entry is whole.
    const entries = await new CacheStore(cacheDir).list();
    t.true(entries.some((e) => e.step.startsWith('COPY f /f')));
  });
}

test('SIGINT while a large COPY is being written and loaded leaves no temporary file and a valid index', async (t) => {
  const context = await makeContext({ Dockerfile: 'FROM scratch\nCOPY big.bin /big.bin\nCOPY small /small\n', small: 's' });
  const { truncate } = await import('node:fs/promises');
  await truncate(join(context, 'big.bin'), 0).catch(() => undefined);
  await runCommand('dd', ['if=/dev/urandom', `of=${join(context, 'big.bin')}`, 'bs=1M', 'count=300', 'status=none']);
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-int-cache-'));
  const temp = await mkdtemp(join(tmpdir(), 'msbuild-int-tmp-'));
  cleanup.push(context, cacheDir, temp);
  const run = startMsbuild(['build', '--progress', 'plain', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, context], { TMPDIR: temp });
  t.true(await until(() => /COPY big\.bin/.test(run.output()), 30_000), run.output());
  await new Promise((resolve) => setTimeout(resolve, 300));
  run.child.kill('SIGINT');
  t.is(await run.exit, 130, run.output());
  t.deepEqual(await readdir(temp), [], 'temporary files removed');
  for (const entry of await new CacheStore(cacheDir).list()) t.truthy(entry.key);
});

test.serial('SIGINT while a RUN layer is being committed removes the container; an entry, if the commit finished, is whole', async (t) => {
  const marker = uniqueName('commit-interrupt');
  // 600 MB of new files: the daemon takes a while to commit them after the command has exited. Serial:
  // a commit that size slows every other daemon call, and the other tests time their cancellation.
  const context = await makeContext({ Dockerfile: `FROM busybox\nRUN head -c 600000000 /dev/zero > /big # ${marker}\n` });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-int-cache-'));
  cleanup.push(context, cacheDir);
  const run = startMsbuild(['build', '--progress', 'plain', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, context]);
  const exited = async () => {
    const containers = await docker.listContainers({ all: true, filters: { status: ['exited'] } });
    return containers.some((c) => c.Command.includes(marker));
  };
  t.true(await until(exited, 60_000), `the RUN finished and its commit began:\n${run.output()}`);
  run.child.kill('SIGINT');
  t.is(await run.exit, 130, run.output());
  t.true(await until(async () => (await containersRunning(marker)) === 0, 15_000), 'no container left');
  t.is(await ownedBy(run.child.pid), 0);
  // The daemon finishes a commit it has begun: recording it is right, as long as the entry is whole.
  for (const entry of await new CacheStore(cacheDir).list()) {
    t.truthy(await docker.getImage(entry.imageId).inspect(), `the image of ${entry.step} exists`);
  }
});

test('a second Ctrl-C exits at once; the index stays valid', async (t) => {
  const marker = uniqueName('double-interrupt');
  const context = await makeContext({ Dockerfile: `FROM busybox\nCOPY f /f\nRUN sleep 60 # ${marker}\n`, f: 'x' });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-int-cache-'));
  cleanup.push(context, cacheDir);
  const run = startMsbuild(['build', '--progress', 'plain', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, context]);
  t.true(await until(async () => (await containersRunning(marker)) > 0, 30_000), run.output());
  run.child.kill('SIGINT');
  run.child.kill('SIGINT');
  t.is(await run.exit, 130);
  const entries = await new CacheStore(cacheDir).list();
  t.true(entries.every((entry) => entry.key.startsWith('sha256:')));
  // A forced exit may leave the RUN container behind; the next build removes what a dead msbuild left.
  const next = await makeContext({ Dockerfile: 'FROM busybox\nLABEL next=build\n' });
  cleanup.push(next);
  await msbuild(['build', '--progress', 'quiet', '--network', 'none', '--pull', 'never', '--cache-dir', cacheDir, next]);
  t.true(await until(async () => (await containersRunning(marker)) === 0, 15_000), 'the orphaned container was removed');
});
