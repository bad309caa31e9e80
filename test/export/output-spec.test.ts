// Unit: --output as buildx parses it: a bare path is a directory, `-` a tar on stdout, type=docker
// with dest is a docker-save archive (and without, the image store), and unknown attributes are refused.
import test from 'ava';
import { parseCacheSpec } from '../../engine/cache/cache-spec.js';
import { parseOutputSpec } from '../../engine/export/output-spec.js';

test('output specs', (t) => {
  t.deepEqual(parseOutputSpec('out'), { type: 'local', dest: 'out' });
  t.deepEqual(parseOutputSpec('-'), { type: 'tar', dest: '-' });
  t.deepEqual(parseOutputSpec('type=tar,dest=-'), { type: 'tar', dest: '-' });
  t.deepEqual(parseOutputSpec('type=docker,dest=x.tar'), { type: 'docker-archive', dest: 'x.tar' });
  t.deepEqual(parseOutputSpec('type=docker'), { type: 'docker' });
  t.deepEqual(parseOutputSpec('type=image,"name=a:1,b:2"'), { type: 'docker', names: ['a:1', 'b:2'] });
  t.deepEqual(parseOutputSpec('type=cacheonly'), { type: 'docker' });
  t.throws(() => parseOutputSpec('type=local,dest=-'), { message: /use type=tar,dest=- for stdout/ });
  t.throws(() => parseOutputSpec('type=oci,dest=o,compression=zstd'), {
    message: /attribute "compression" is not supported for type=oci/,
  });
  t.deepEqual(parseOutputSpec('type=image,push=true'), { type: 'docker', push: true });
  t.throws(() => parseOutputSpec('dest=x'), { message: /type is required/ });
});

test('cache specs: a directory or a path is local, a name an image (legacy --cache-from)', (t) => {
  t.deepEqual(parseCacheSpec('type=local,src=/c', 'from'), { kind: 'local', dir: '/c' });
  t.deepEqual(parseCacheSpec('./c', 'from'), { kind: 'local', dir: './c' });
  t.deepEqual(parseCacheSpec('busybox:latest', 'from'), { kind: 'image', ref: 'busybox:latest' });
  t.deepEqual(parseCacheSpec('type=local,dest=c,mode=max', 'to'), { kind: 'local', dir: 'c' });
  t.throws(() => parseCacheSpec('type=s3,bucket=b', 'from'), {
    message: /type=s3 is not supported: use local or registry/,
  });
  t.throws(() => parseCacheSpec('type=local', 'to'), { message: /dest=DIR is required/ });
});
