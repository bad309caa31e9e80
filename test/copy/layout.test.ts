import test from 'ava';
import { chmodFunction, copyTargetDirectory } from '../../engine/copy/layout.js';

test('octal --chmod sets the mode outright', (t) => {
  const chmod = chmodFunction('0640');
  t.truthy(chmod);
  t.is(chmod?.(0o755, false), 0o640);
  t.is(chmod?.(0o700, true), 0o640);
});

test('symbolic --chmod edits the mode like chmod(1)', (t) => {
  t.is(chmodFunction('u+x')?.(0o644, false), 0o744);
  t.is(chmodFunction('go-w')?.(0o666, false), 0o644);
  t.is(chmodFunction('a=r')?.(0o755, false), 0o444);
  t.is(chmodFunction('a+X')?.(0o644, false), 0o644, 'X adds execute only to directories or already-executable files');
  t.is(chmodFunction('a+X')?.(0o644, true), 0o755);
  t.is(chmodFunction('u+s')?.(0o755, false), 0o4755);
  t.is(chmodFunction('g=u')?.(0o705, false), 0o775);
});

test('an empty --chmod changes nothing; a bad one is an error', (t) => {
  t.is(chmodFunction(''), undefined);
  t.throws(() => chmodFunction('u+q'));
});

test('the target directory is the destination itself or its parent', (t) => {
  t.is(copyTargetDirectory('/app', true), '/app');
  t.is(copyTargetDirectory('/app/', true), '/app');
  t.is(copyTargetDirectory('/app/file.txt', false), '/app');
  t.is(copyTargetDirectory('/', true), '/');
});
