import test from 'ava';
import { KnownFs } from '../../engine/image/known-fs.js';

const dir = { type: 'directory' as const, mode: 0o755, uid: 0, gid: 0 };

test('symlinks in paths are resolved inside the image root', (t) => {
  const fs = new KnownFs();
  fs.record('/usr', dir);
  fs.record('/usr/lib', dir);
  fs.record('/lib', { type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: 'usr/lib' });
  fs.record('/abs', { type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: '/usr' });
  t.deepEqual(fs.resolve('/lib/x'), { path: '/usr/lib/x', entry: undefined });
  t.is(fs.resolve('/lib').entry?.type, 'directory');
  t.is(fs.resolve('/lib', false).entry?.type, 'symlink');
  t.is(fs.resolve('/abs/lib').path, '/usr/lib');
  t.is(fs.resolve('/../../usr').path, '/usr', '.. stops at the root');
});

test('a symlink loop ends instead of spinning', (t) => {
  const fs = new KnownFs();
  fs.record('/a', { type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: 'b' });
  fs.record('/b', { type: 'symlink', mode: 0o777, uid: 0, gid: 0, linkname: 'a' });
  t.notThrows(() => fs.resolve('/a/x'));
});

test('writing a file over a directory drops what was under it', (t) => {
  const fs = new KnownFs();
  fs.record('/d', dir);
  fs.record('/d/f', { type: 'file', mode: 0o644, uid: 0, gid: 0 });
  fs.record('/d', { type: 'file', mode: 0o644, uid: 0, gid: 0 });
  t.is(fs.get('/d/f'), undefined);
  t.is(fs.clone().get('/d')?.type, 'file');
});
