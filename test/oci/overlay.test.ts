// Unit: overlay mounts are planned as containerd's snapshotter plans them, with the options that
// keep upper dirs tar-able, and chains too long for one page use short relative link names.
import test from 'ava';
import { planOverlay } from '../../engine/oci/overlay.js';

const upper = { fs: '/s/new/fs', work: '/s/new/work' };

test('lowers newest first, upper and work, and index/redirect_dir/metacopy off', (t) => {
  const plan = planOverlay({ lowers: ['/a', '/b'], upper, target: '/m', scratchDir: '/x' }, 'l');
  t.is(plan.type, 'overlay');
  t.is(plan.data, 'lowerdir=/a:/b,upperdir=/s/new/fs,workdir=/s/new/work,index=off,redirect_dir=off,metacopy=off');
  t.is(plan.links, undefined);
});

test('no parent is a bind of the upper dir; one parent and no upper a read-only bind', (t) => {
  t.like(planOverlay({ lowers: [], upper, target: '/m', scratchDir: '/x' }, 'l'), {
    type: 'bind',
    source: '/s/new/fs',
  });
  const view = planOverlay({ lowers: ['/a'], target: '/m', scratchDir: '/x' }, 'l');
  t.is(view.type, 'bind');
  t.true((view.flags & 1) === 1);
  t.is(
    planOverlay({ lowers: ['/a', '/b'], target: '/m', scratchDir: '/x' }, 'l').data,
    'lowerdir=/a:/b,index=off,redirect_dir=off,metacopy=off',
  );
});

test('a chain past one page mounts through short link names', (t) => {
  const lowers = Array.from({ length: 200 }, (_, i) => `/var/lib/docker/overlay2/${String(i).padStart(64, '0')}/diff`);
  const plan = planOverlay({ lowers, upper, target: '/m', scratchDir: '/x' }, 'links-1');
  t.is(plan.cwd, '/x/links-1');
  t.is(plan.links?.length, 200);
  t.deepEqual(plan.links?.[0], ['0', lowers[0]]);
  t.true(plan.data.length < 3500);
  t.true(plan.data.startsWith('lowerdir=0:1:2:'));
});

test('a chain too long even for short names is refused clearly', (t) => {
  const lowers = Array.from({ length: 2000 }, (_, i) => `/l/${i}`);
  t.throws(() => planOverlay({ lowers, upper, target: '/m', scratchDir: '/x' }, 'l'), { message: /too long to mount/ });
});
