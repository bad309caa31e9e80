// Unit: the system-call helper answers in order, reports the kernel's errno, lists overlay and
// capability xattrs (others ignored) under a tree with odd file names, and measures a tree.
import test from 'ava';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelperCallError, systemHelper } from '../../engine/oci/helper.js';
import { removeDir } from '../support/docker.js';

test('xattrs set and listed, errors with errno, disk usage', async (t) => {
  const helper = systemHelper();
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-helper-'));
  t.teardown(() => removeDir(dir));
  const odd = 'a name\nwith a newline';
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'sub', odd), '12345');
  await helper.setXattr(join(dir, 'sub'), 'trusted.overlay.opaque', Buffer.from('y'));
  await helper.setXattr(
    join(dir, 'sub', odd),
    'security.capability',
    Buffer.from([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  );
  await helper.setXattr(join(dir, 'sub', odd), 'user.unrelated', Buffer.from('z'));
  const [listed, usage] = await Promise.all([helper.overlayXattrs(dir), helper.diskUsage(dir), helper.ping()]);
  t.deepEqual([...listed.keys()].sort(), ['sub', `sub/${odd}`]);
  t.deepEqual(listed.get('sub')?.get('trusted.overlay.opaque'), Buffer.from('y'));
  t.is(listed.get(`sub/${odd}`)?.get('security.capability')?.length, 20);
  t.false(listed.get(`sub/${odd}`)?.has('user.unrelated'));
  t.is(usage.contentBytes, 5);
  t.is(usage.entries, 2);
  const error = await t.throwsAsync(helper.mknod(join(dir, 'missing', 'x'), 0o010644));
  t.true(error instanceof HelperCallError);
  t.is((error as HelperCallError).errno, 2);
  await t.throwsAsync(helper.unmount(join(dir, 'sub')), { instanceOf: HelperCallError });
});
