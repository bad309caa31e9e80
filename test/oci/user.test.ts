// Unit: a RUN's user is resolved from the image's own files as BuildKit resolves it: names and
// numbers, supplementary groups, numbers missing from the files, errors for unknown names, root
// when nothing is said, and /etc/passwd read inside the root even through a link pointing out.
import test from 'ava';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execUser, resolveUser } from '../../engine/oci/user.js';
import { removeDir } from '../support/docker.js';

const passwd =
  'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n';
const group = 'root:x:0:\nstaff:x:50:app,other\napp:x:1000:\n# comment\nwheel:x:10:root,app\n';

test('a name gets its uid, primary gid first and supplementary groups', (t) => {
  t.deepEqual(execUser('app', passwd, group), { uid: 1000, gid: 1000, additionalGids: [1000, 50, 10] });
});

test('a number matches by uid only', (t) => {
  t.deepEqual(execUser('1000', passwd, group), { uid: 1000, gid: 1000, additionalGids: [1000, 50, 10] });
  t.deepEqual(execUser('4242', passwd, group), { uid: 4242, gid: 0, additionalGids: [0] });
});

test('an explicit group replaces the primary one and brings no supplementary groups', (t) => {
  t.deepEqual(execUser('app:staff', passwd, group), { uid: 1000, gid: 50, additionalGids: [50] });
  t.deepEqual(execUser('app:777', passwd, group), { uid: 1000, gid: 777, additionalGids: [777] });
});

test('unknown names are errors', (t) => {
  t.throws(() => execUser('ghost', passwd, group), { message: /unable to find user ghost/ });
  t.throws(() => execUser('app:ghosts', passwd, group), { message: /unable to find group ghosts/ });
  t.throws(() => execUser('app', undefined, group), { message: /unable to find user app/ });
});

test('root when no user is given, with or without the files', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'msbuild-user-'));
  t.teardown(() => removeDir(root));
  t.deepEqual(await resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [0] });
  t.deepEqual(await resolveUser(root, '5:6'), { uid: 5, gid: 6, additionalGids: [6] });
  await t.throwsAsync(resolveUser(root, 'app'), { message: /unable to find user app/ });
});

test('/etc/passwd is read inside the root, a link out of it bounded by it', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'msbuild-user-'));
  const outside = await mkdtemp(join(tmpdir(), 'msbuild-user-outside-'));
  t.teardown(() => Promise.all([removeDir(root), removeDir(outside)]));
  await mkdir(join(root, 'etc'));
  await mkdir(join(root, 'data'));
  await writeFile(join(outside, 'passwd'), 'evil:x:0:0::/:/bin/sh\n');
  await writeFile(join(root, 'data', 'passwd'), 'app:x:1234:1234::/:/bin/sh\n');
  // An absolute link names a path in the image, never on the host.
  await symlink(join(outside, 'passwd'), join(root, 'etc', 'passwd'));
  await t.throwsAsync(resolveUser(root, 'evil'), { message: /unable to find user evil/ });
  await removeDir(join(root, 'etc'));
  await mkdir(join(root, 'etc'));
  await symlink('../../../../../../data/passwd', join(root, 'etc', 'passwd'));
  t.deepEqual(await resolveUser(root, 'app'), { uid: 1234, gid: 1234, additionalGids: [1234] });
});
