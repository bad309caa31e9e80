import test from 'ava';
import { ChownError, chownNeedsLookup, resolveChown } from '../../engine/copy/chown.js';

const database = {
  passwd:
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\nwww-data:x:33:33::/var/www:/bin/false\n',
  group: 'root:x:0:\nstaff:x:50:\napp:x:1001:\n',
};

test('numeric ids need no lookup; the group defaults to the uid', (t) => {
  t.false(chownNeedsLookup('1000:1000'));
  t.false(chownNeedsLookup('root'));
  t.deepEqual(resolveChown('1000', { passwd: undefined, group: undefined }), { uid: 1000, gid: 1000 });
  t.deepEqual(resolveChown('42:7', { passwd: undefined, group: undefined }), { uid: 42, gid: 7 });
});

test('names are looked up in passwd and group; a user name brings its primary group', (t) => {
  t.true(chownNeedsLookup('app'));
  t.deepEqual(resolveChown('app', database), { uid: 1000, gid: 1001 });
  t.deepEqual(resolveChown('app:staff', database), { uid: 1000, gid: 50 });
  t.deepEqual(resolveChown('33:app', database), { uid: 33, gid: 1001 });
  t.deepEqual(resolveChown('www-data', database), { uid: 33, gid: 33 });
});

test('an unknown user or group is an error naming it', (t) => {
  const user = t.throws(() => resolveChown('nobody2', database), { instanceOf: ChownError });
  t.regex(user?.message ?? '', /unable to find user nobody2/);
  const group = t.throws(() => resolveChown('app:nogroup', database), { instanceOf: ChownError });
  t.regex(group?.message ?? '', /unable to find group nogroup/);
  const noFile = t.throws(() => resolveChown('app', { passwd: undefined, group: undefined }));
  t.regex(noFile?.message ?? '', /no \/etc\/passwd/);
});
