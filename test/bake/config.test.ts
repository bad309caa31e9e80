// Unit: bake files — targets, groups, inheritance, --set, compose build sections, unknown keys with lines.
import test from 'ava';
import { applySet, BakeError, parseBakeFile, resolveBake } from '../../engine/bake/config.js';

const yaml = `groups:
  default: [api, web]
  all: [default, worker]
targets:
  common:
    context: .
    args:
      GO_VERSION: "1.19"
    labels:
      team: core
  api:
    inherits: [common]
    target: api
    tags: [api:dev]
    args:
      PORT: "8080"
  web:
    inherits: [common]
    context: web
    dockerfile: web.Dockerfile
    tags: [web:dev]
  worker:
    inherits: [api]
    target: worker
    tags: [worker:dev]
`;

test('groups expand, inheritance merges args and labels, contexts resolve against the file', (t) => {
  const file = parseBakeFile(yaml, 'msbuild.yaml', '/repo');
  const [api, web] = resolveBake(file, []);
  t.like(api, { name: 'api', context: '/repo', target: 'api', tags: ['api:dev'], args: { GO_VERSION: '1.19', PORT: '8080' }, labels: { team: 'core' } });
  t.like(web, { name: 'web', context: '/repo/web', dockerfile: 'web.Dockerfile' });
  t.deepEqual(resolveBake(file, ['all']).map((target) => target.name), ['api', 'web', 'worker']);
  const worker = resolveBake(file, ['worker'])[0];
  t.like(worker, { target: 'worker', tags: ['worker:dev'], args: { GO_VERSION: '1.19', PORT: '8080' } });
});

test('--set overrides one target or all of them', (t) => {
  const file = parseBakeFile(yaml, 'msbuild.yaml', '/repo');
  applySet(file, 'api.args.PORT=9090');
  applySet(file, '*.platform=linux/arm64');
  applySet(file, 'web.tags=web:a,web:b');
  const [api, web] = resolveBake(file, ['api', 'web']);
  t.is(api.args.PORT, '9090');
  t.is(api.platform, 'linux/arm64');
  t.deepEqual(web.tags, ['web:a', 'web:b']);
  t.throws(() => applySet(file, 'nope.target=x'), { instanceOf: BakeError, message: /no target "nope"/ });
  t.throws(() => applySet(file, 'api.colour=red'), { message: /unknown key "colour"/ });
});

test('unknown keys are errors with their line', (t) => {
  const bad = 'targets:\n  api:\n    context: .\n    dockerfiel: Dockerfile\n';
  t.throws(() => parseBakeFile(bad, 'msbuild.yaml', '/repo'), { instanceOf: BakeError, message: /^msbuild\.yaml:4: unknown key "dockerfiel" in target api/ });
  t.throws(() => parseBakeFile('target:\n  x: {}\n', 'msbuild.yaml', '/repo'), { message: /^msbuild\.yaml:1: unknown key "target"/ });
  t.throws(() => parseBakeFile('targets:\n  a: {context: ., foo: 1}\n', 'msbuild.yaml', '/repo'), { message: /^msbuild\.yaml:2: unknown key "foo" in target a/ }, 'flow style');
  t.throws(() => parseBakeFile('targets:\n  a: {\n    context: .,\n    foo: 1 }\n', 'msbuild.yaml', '/repo'), { message: /^msbuild\.yaml:4: unknown key "foo" in target a/ }, 'flow style over lines');
});

test('unknown targets and inheritance cycles are named', (t) => {
  const file = parseBakeFile('targets:\n  a:\n    inherits: [b]\n  b:\n    inherits: [a]\n', 'f.yaml', '/');
  t.throws(() => resolveBake(file, ['a']), { message: /inheritance cycle: a -> b -> a/ });
  t.throws(() => resolveBake(file, ['c']), { message: /unknown target or group "c"/ });
});

test('compose files: services with a build section become targets, image becomes the tag', (t) => {
  const compose = `services:
  api:
    image: example/api:1
    build:
      context: ./api
      args:
        - MODE=prod
      target: runtime
  db:
    image: postgres
  web:
    build: ./web
`;
  const targets = resolveBake(parseBakeFile(compose, 'compose.yaml', '/repo'), []);
  t.deepEqual(targets.map((target) => target.name), ['api', 'web']);
  t.like(targets[0], { context: '/repo/api', target: 'runtime', tags: ['example/api:1'], args: { MODE: 'prod' } });
  t.throws(() => parseBakeFile('services:\n  x:\n    build:\n      contxt: .\n', 'compose.yaml', '/'), { message: /compose\.yaml:4: unknown key "contxt"/ });
});
