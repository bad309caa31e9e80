// Tags as the daemon's reference grammar takes them: refused before a build, with docker's reasons.
import test from 'ava';
import { normalizedTag, splitReference, tagProblem } from '../../engine/image/reference.js';

test('valid tags: names, namespaces, registries with ports, tags with dots and dashes', (t) => {
  for (const tag of [
    'multi:stage',
    'multi',
    'my-org/app_1:v1.2-rc',
    'localhost:5000/app:latest',
    'registry.example.com/a/b/c:x',
    'a__b:1',
    'a--b',
    'app:_tag',
  ]) {
    t.is(tagProblem(tag), undefined, tag);
  }
  t.deepEqual(splitReference('localhost:5000/app'), { repo: 'localhost:5000/app', tag: 'latest' });
});

test('invalid tags say why, as docker build -t does', (t) => {
  t.is(tagProblem('Bad:Tag'), 'repository name must be lowercase');
  t.is(tagProblem('org/App'), 'repository name must be lowercase');
  t.is(tagProblem('app:-tag'), 'invalid reference format');
  t.is(tagProblem('app:'), 'invalid reference format');
  t.is(tagProblem('-app'), 'invalid reference format');
  t.is(tagProblem('a/../b'), 'invalid reference format');
  t.is(tagProblem('app@sha256:0123'), 'a tag cannot contain a digest');
  t.is(tagProblem(`${'a'.repeat(256)}:x`), 'repository name must not be more than 255 characters');
  t.is(tagProblem(`app:${'t'.repeat(129)}`), 'invalid reference format');
});

test('a tag without one gets :latest, as the daemon stores it; a registry port is not a tag', (t) => {
  t.is(normalizedTag('app'), 'app:latest');
  t.is(normalizedTag('app:v1'), 'app:v1');
  t.is(normalizedTag('localhost:5000/app'), 'localhost:5000/app:latest');
  t.is(normalizedTag('localhost:5000/app:v2'), 'localhost:5000/app:v2');
});
