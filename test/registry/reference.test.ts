// Unit: references normalized as Docker does (Hub's library/, registry hosts with ports, tags and
// digests), loopback hosts recognized, auth challenges parsed, and image outputs read in buildx syntax.
import test from 'ava';
import { imageNames, parseOutputSpec, type OutputSpec } from '../../engine/export/exporters.js';
import { pushedNames } from '../../engine/export/push.js';
import { parseChallenge } from '../../engine/registry/auth.js';
import { formatReference, isLoopbackHost, parseReference } from '../../engine/registry/reference.js';

test('references as Docker normalizes them', (t) => {
  t.deepEqual(parseReference('golang'), { domain: 'docker.io', path: 'library/golang', tag: 'latest' });
  t.deepEqual(parseReference('127.0.0.1:5000/team/app:1.2'), {
    domain: '127.0.0.1:5000',
    path: 'team/app',
    tag: '1.2',
  });
  t.deepEqual(parseReference('localhost/app'), { domain: 'localhost', path: 'app', tag: 'latest' });
  const digest = `sha256:${'a'.repeat(64)}`;
  t.deepEqual(parseReference(`r.example/app@${digest}`), { domain: 'r.example', path: 'app', digest });
  t.is(formatReference(parseReference('busybox:1')), 'docker.io/library/busybox:1');
  t.throws(() => parseReference('r.example/App'), { message: /bad repository name/ });
});

test('loopback hosts', (t) => {
  t.true(isLoopbackHost('127.0.0.1:5000'));
  t.true(isLoopbackHost('localhost:80'));
  t.true(isLoopbackHost('[::1]:5000'));
  t.false(isLoopbackHost('10.0.0.1:5000'));
  t.false(isLoopbackHost('registry.example'));
});

test('challenges', (t) => {
  t.deepEqual(
    parseChallenge('Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull,push"'),
    {
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry', scope: 'repository:a/b:pull,push' },
    },
  );
  t.deepEqual(parseChallenge('Basic realm="msbuild-test"'), { scheme: 'basic', params: { realm: 'msbuild-test' } });
  t.is(parseChallenge('Negotiate'), undefined);
});

test('image outputs: type=registry pushes, type=image pushes when asked; names split on commas', (t) => {
  t.deepEqual(parseOutputSpec('type=registry,name=r.example/a:1'), {
    type: 'docker',
    names: ['r.example/a:1'],
    push: true,
  });
  const both = { type: 'docker', names: ['r.example/a:1', 'r.example/a:2'], push: true };
  t.deepEqual(parseOutputSpec('type=image,"name=r.example/a:1,r.example/a:2",push=true'), both);
  t.deepEqual(parseOutputSpec('type=image,name=r.example/a:1,r.example/a:2,push=true'), both);
  t.deepEqual(parseOutputSpec('type=image,name=a'), { type: 'docker', names: ['a'] });
  t.deepEqual(parseOutputSpec('type=registry'), { type: 'docker', push: true });
  t.throws(() => parseOutputSpec('type=registry,compression=zstd'), {
    message: /"compression" is not supported for type=registry/,
  });
  t.throws(() => parseOutputSpec('type=image,push=yes'), { message: /push must be true or false/ });
});

test('which names are pushed: the image’s names (-t, else the outputs’ names), when asked', (t) => {
  const push = (tags: string[], outputs: OutputSpec[], flag = false) =>
    pushedNames({ tags: imageNames(tags, outputs), outputs, push: flag });
  t.deepEqual(push(['a:1', 'a:2'], [], true), ['a:1', 'a:2']);
  t.deepEqual(push([], [{ type: 'docker', names: ['b:1'], push: true }]), ['b:1']);
  // -t wins over an output's names, as buildx fills them from -t.
  t.deepEqual(push(['a:1'], [{ type: 'docker', names: ['b:1'], push: true }]), ['a:1']);
  t.deepEqual(push(['a:1'], [{ type: 'docker', push: true }]), ['a:1']);
  t.deepEqual(push([], [{ type: 'docker', names: ['b:1'] }]), []);
  t.throws(() => push([], [], true), { message: /nothing to push/ });
  t.throws(() => push([], [{ type: 'docker', push: true }]), { message: /nothing to push/ });
});
