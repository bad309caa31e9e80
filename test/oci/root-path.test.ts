// Unit: paths in an image root resolve as the image sees them (links followed inside the root,
// `..` stopping at it), and runc's mount stubs are found before a step and removed after it,
// only while still empty, with their parent's times put back.
import test from 'ava';
import { mkdir, mkdtemp, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInRoot, resolveInRootSync } from '../../engine/oci/root-path.js';
import { findMountStubs, removeMountStubs } from '../../engine/oci/stubs.js';
import { treeView } from '../../engine/oci/tree-view.js';
import { removeDir } from '../support/docker.js';

test('links resolve inside the root', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'msbuild-root-'));
  t.teardown(() => removeDir(root));
  await mkdir(join(root, 'usr/lib'), { recursive: true });
  await symlink('/usr/lib', join(root, 'lib'));
  await symlink('../../..', join(root, 'usr/lib/up'));
  await symlink('/etc', join(root, 'etc-link'));
  t.is(await resolveInRoot(root, '/lib/x'), join(root, 'usr/lib/x'));
  t.is(await resolveInRoot(root, '/lib/up/etc'), join(root, 'etc'));
  t.is(await resolveInRoot(root, '/../../etc-link/passwd'), join(root, 'etc/passwd'));
  t.is(await resolveInRoot(root, '/lib', { followLast: false }), join(root, 'lib'));
  t.is(await resolveInRoot(root, '/missing/../../x'), join(root, 'x'));
});

test('a link loop is an error', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'msbuild-root-'));
  t.teardown(() => removeDir(root));
  await symlink('/b', join(root, 'a'));
  await symlink('/a', join(root, 'b'));
  await t.throwsAsync(resolveInRoot(root, '/a/x'), { message: /too many levels/ });
});

test('stubs: missing targets and parents found, removed when empty, parent times restored', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'msbuild-stubs-'));
  t.teardown(() => removeDir(root));
  await mkdir(join(root, 'etc'));
  await writeFile(join(root, 'etc/hosts'), 'kept: it was there\n');
  const stubs = await findMountStubs(root, ['/cache/go/mod', '/run/secrets/token']);
  t.deepEqual(stubs, [
    join(root, 'etc/resolv.conf'),
    join(root, 'cache/go/mod'),
    join(root, 'cache/go'),
    join(root, 'cache'),
    join(root, 'run/secrets/token'),
    join(root, 'run/secrets'),
    join(root, 'run'),
  ]);
  // What runc makes: empty files and dirs; the step writes into one of them.
  await writeFile(join(root, 'etc/resolv.conf'), '');
  await mkdir(join(root, 'cache/go/mod'), { recursive: true });
  await mkdir(join(root, 'run/secrets'), { recursive: true });
  await writeFile(join(root, 'run/secrets/token'), '');
  await writeFile(join(root, 'run/other'), 'the step wrote this');
  const old = new Date('2020-01-01T00:00:00Z');
  await utimes(join(root, 'etc'), old, old);
  await removeMountStubs(root, stubs);
  const exists = (path: string) =>
    stat(join(root, path)).then(
      () => true,
      () => false,
    );
  t.false(await exists('etc/resolv.conf'));
  t.true(await exists('etc/hosts'));
  t.false(await exists('cache'));
  t.false(await exists('run/secrets'));
  t.true(await exists('run/other'));
  t.is((await stat(join(root, 'etc'))).mtime.getTime(), old.getTime());
});

test('the synchronous resolver and the tree view agree with the image', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'msbuild-view-'));
  t.teardown(() => removeDir(root));
  await mkdir(join(root, 'run'), { recursive: true });
  await mkdir(join(root, 'var'), { recursive: true });
  await symlink('/run', join(root, 'var/run'));
  await mkdir(join(root, 'etc'));
  await writeFile(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  t.is(resolveInRootSync(root, '/var/run/app/x'), join(root, 'run/app/x'));
  t.is(resolveInRootSync(root, '/var/run/../../../etc'), join(root, 'etc'));
  const view = treeView(root);
  t.is(view.realPath('/var/run/app'), '/run/app');
  t.is(await view.kind('/var/run'), 'directory');
  t.is(await view.kind('/etc/passwd'), 'file');
  t.is(await view.kind('/nothing'), undefined);
  t.is(await view.readFile('/etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
});
