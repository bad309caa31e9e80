// Cache mount sharing without a daemon: which volume each sharing mode takes, lock files shared
// between processes, stale holds of dead processes taken over, and volume names.
import test from 'ava';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheVolumeName, leaseCacheVolume } from '../../engine/docker/cache-volumes.js';
import type { RunMount } from '../../engine/instructions/types.js';
import { LockDirectory } from '../../engine/util/file-locks.js';

const mount = (sharing: RunMount['sharing'], extra: Partial<RunMount> = {}): RunMount => ({
  type: 'cache',
  from: '',
  source: '',
  target: '/c',
  readOnly: false,
  sizeLimit: 0,
  id: 'x',
  sharing,
  required: false,
  spec: '',
  ...extra,
});

async function lockDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-locks-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const never = new AbortController().signal;

test('volume names: the id alone as before; uid/gid/mode make a cache of their own; slots for private users', (t) => {
  t.is(cacheVolumeName(mount('')), `msbuild-cache-${createHash('sha256').update('x').digest('hex').slice(0, 24)}`);
  t.is(
    cacheVolumeName(mount('', { id: '' })),
    cacheVolumeName(mount('', { id: '/c' })),
    'the target is the default id',
  );
  t.not(cacheVolumeName(mount('', { uid: 1000 })), cacheVolumeName(mount('')));
  t.is(
    cacheVolumeName(mount('', { uid: 1000 })),
    cacheVolumeName(mount('', { uid: 1000, gid: 0, mode: 0o755 })),
    'BuildKit defaults fill in the rest',
  );
  t.is(cacheVolumeName(mount(''), 2), `${cacheVolumeName(mount(''))}-2`);
});

test('shared users share one volume; private users each get their own; a locked user waits for all of them', async (t) => {
  const locks = new LockDirectory(await lockDir(t));
  const shared1 = await leaseCacheVolume(mount('shared'), locks, never);
  const shared2 = await leaseCacheVolume(mount(''), locks, never);
  t.is(shared1.volume, cacheVolumeName(mount('')));
  t.is(shared2.volume, shared1.volume);
  const private1 = await leaseCacheVolume(mount('private'), locks, never);
  const private2 = await leaseCacheVolume(mount('private'), locks, never);
  t.is(private1.volume, cacheVolumeName(mount(''), 1), 'the first volume is in use by shared users');
  t.is(private2.volume, cacheVolumeName(mount(''), 2));
  let locked = false;
  const waiting = leaseCacheVolume(mount('locked'), locks, never).then((lease) => {
    locked = true;
    return lease;
  });
  await new Promise((resolve) => setTimeout(resolve, 250));
  t.false(locked, 'the locked user waits while the first volume is shared');
  await shared1.release();
  await shared2.release();
  const lease = await waiting;
  t.is(lease.volume, cacheVolumeName(mount('')));
  // While it is locked, a shared user gets another volume (as BuildKit gives it another cache ref).
  const sharedWhileLocked = await leaseCacheVolume(mount('shared'), locks, never);
  t.not(sharedWhileLocked.volume, lease.volume);
  for (const held of [lease, sharedWhileLocked, private1, private2]) await held.release();
});

test('a locked user stops waiting when the build is cancelled', async (t) => {
  const locks = new LockDirectory(await lockDir(t));
  const holder = await leaseCacheVolume(mount('locked'), locks, never);
  const controller = new AbortController();
  const waiting = leaseCacheVolume(mount('locked'), locks, controller.signal);
  controller.abort(new Error('cancelled by the test'));
  await t.throwsAsync(waiting, { message: 'cancelled by the test' });
  await holder.release();
});

test('exclusive holds are seen by another process, and released ones leave no file', async (t) => {
  const dir = await lockDir(t);
  const locks = new LockDirectory(dir);
  const hold = await locks.tryExclusive('vol');
  t.truthy(hold);
  const script = `
    import { LockDirectory } from ${JSON.stringify(fileURLToPath(new URL('../../engine/util/file-locks.js', import.meta.url)))};
    const locks = new LockDirectory(${JSON.stringify(dir)});
    const exclusive = await locks.tryExclusive('vol');
    const shared = await locks.tryShared('vol');
    console.log(JSON.stringify({ exclusive: exclusive !== undefined, shared: shared !== undefined }));`;
  const other = async () =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(out.trim()));
    });
  t.is(await other(), JSON.stringify({ exclusive: false, shared: false }), 'held here, so not there');
  await hold?.release();
  t.deepEqual(await readdir(dir), []);
  t.is(
    await other(),
    JSON.stringify({ exclusive: true, shared: false }),
    'free now (the child holds it exclusively, then cannot share it)',
  );
});

test('a hold left by a process that died is taken over', async (t) => {
  const dir = await lockDir(t);
  // A PID that is not running: the child's own, after it exited.
  const child = spawn(process.execPath, ['-e', '']);
  const deadPid = await new Promise<number>((resolve) => child.on('close', () => resolve(child.pid as number)));
  const owner = { host: hostname(), pid: deadPid, start: '1', token: 'dead' };
  await writeFile(join(dir, 'vol.lock'), JSON.stringify(owner));
  await writeFile(join(dir, 'other.shared.dead'), JSON.stringify(owner));
  const locks = new LockDirectory(dir);
  const hold = await locks.tryExclusive('vol');
  t.truthy(hold, 'the dead exclusive holder does not block');
  const other = await locks.tryExclusive('other');
  t.truthy(other, 'nor does a dead shared holder');
  await hold?.release();
  await other?.release();
  t.deepEqual(await readdir(dir), []);
});
