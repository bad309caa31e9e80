// Unit: bake definitions as buildx evaluates them — variables (defaults, types, overrides from the
// environment as CSV or NAME_JSON, --var, validation), functions, target references, matrix,
// inheritance and --set, and compose files (interpolation, .env, x-bake, every build key).
import test from 'ava';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interpolate, parseDotEnv } from '../../engine/bake/compose-env.js';
import { parseBakeFiles, resolveTargets, type Target } from '../../engine/bake/config.js';
import { buildOptionsOf, targetOrder } from '../../engine/bake/run.js';

function bake(
  text: string,
  options: { env?: NodeJS.ProcessEnv; vars?: Record<string, string>; name?: string; cwd?: string } = {},
) {
  return parseBakeFiles([{ name: options.name ?? 'docker-bake.hcl', text }], {
    env: options.env ?? {},
    vars: new Map(Object.entries(options.vars ?? {})),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
}

function target(
  text: string,
  name: string,
  options: Parameters<typeof bake>[1] = {},
  overrides: string[] = [],
): Target {
  return resolveTargets(bake(text, options).config, [name], overrides, options.env ?? {}).targets.get(name) as Target;
}

test('variables: defaults, environment overrides (typed by the default or the type), --var first', (t) => {
  const file = [
    'variable "TAG" { default = "latest" }',
    'variable "N" { default = 1 }',
    'variable "TAGS" {\n  type = list(string)\n  default = ["a"]\n}',
    'variable "EMPTY" {}',
    'variable "OBJ" {\n  type = object({a = string})\n  default = {a = "x"}\n}',
    'target "t" {\n  tags = [for tag in TAGS : "img:${tag}-${TAG}"]\n  args = { N = N + 1, EMPTY = EMPTY, A = OBJ.a }\n}',
  ].join('\n');
  t.like(target(file, 't'), { tags: ['img:a-latest'], args: { N: '2', EMPTY: '', A: 'x' } });
  const env = { TAG: 'dev', N: '41', TAGS: 'x,"y,z"', OBJ_JSON: '{"a":"from-json"}' };
  t.like(target(file, 't', { env }), { tags: ['img:x-dev', 'img:y,z-dev'], args: { N: '42', A: 'from-json' } });
  t.like(target(file, 't', { env, vars: { TAG: 'var' } }), { tags: ['img:x-var', 'img:y,z-var'] });
  t.throws(() => target(file, 't', { env: { N: 'many' } }), { message: /variable N: failed to parse N as number/ });
  t.like(target(file, 't', { env: { TAG: 'x', BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP: '1' } }), {
    tags: ['img:a-latest'],
  });
});

test('variable validation, functions, top-level attributes and references to other targets', (t) => {
  const file = [
    'variable "PORT" {\n  default = 80\n  validation {\n    condition = PORT > 0 && PORT < 65536\n    error_message = "PORT must be a port"\n  }\n}',
    'function "tag" {\n  params = [name]\n  variadic_params = rest\n  result = "${name}:${join("-", rest)}"\n}',
    'REGISTRY = "r.example"',
    'target "base" {\n  tags = ["${REGISTRY}/${tag("base", "1", "2")}"]\n}',
    'target "app" {\n  tags = [for t in target.base.tags : "${t}-app"]\n  args = { PORT = PORT }\n}',
  ].join('\n');
  t.like(target(file, 'app'), { tags: ['r.example/base:1-2-app'], args: { PORT: '80' } });
  t.throws(() => target(file, 'app', { env: { PORT: '0' } }), { message: /validation failed: PORT must be a port/ });
  t.throws(() => target('target "a" {\n  tags = target.a.tags\n}\n', 'a'), {
    message: /reference cycle not allowed for target\.a\.tags/,
  });
  t.throws(() => target('target "a" {\n  colour = "red"\n}\n', 'a'), {
    message: /an argument named "colour" is not expected in a target/,
  });
  t.throws(() => target('target "a" {\n  tags = "x"\n}\n', 'a'), { message: /incorrect attribute value type: tags/ });
  t.throws(() => target('target "a" {\n  name = "b"\n}\n', 'a'), { message: /name requires matrix/ });
  t.throws(() => target('target "a b" {}\n', 'a b'), { message: /invalid target name "a b"/ });
});

test('entries: outputs, caches, secrets and ssh from flag strings or objects, printed as buildx does', (t) => {
  const file =
    'target "t" {\n  output = ["type=local,dest=out", { type = "tar", dest = "t.tar" }]\n  cache-from = ["user/app:cache", { type = "local", src = "c" }]\n  secret = ["id=a,src=a.txt", { type = "env", id = "B", src = "VAR" }]\n  ssh = ["default", { id = "key", paths = ["k1"] }]\n  resources = { memory = "2g", cpu-quota = 50000 }\n}\n';
  t.like(target(file, 't'), {
    output: [
      { type: 'local', dest: 'out' },
      { type: 'tar', dest: 't.tar' },
    ],
    'cache-from': [
      { type: 'registry', ref: 'user/app:cache' },
      { type: 'local', src: 'c' },
    ],
    secret: [
      { id: 'a', src: 'a.txt' },
      { id: 'B', env: 'VAR' },
    ],
    ssh: [{ id: 'default' }, { id: 'key', paths: ['k1'] }],
    resources: { memory: '2g', 'cpu-quota': 50000 },
  });
});

test('--set: globs, +=, args from the environment, an existing secret’s source, load', (t) => {
  const file = 'target "foo" {\n  tags = ["a"]\n  secret = ["id=s,src=f"]\n}\ntarget "foobar" {}\ntarget "bar" {}\n';
  const { targets } = resolveTargets(
    bake(file).config,
    ['foo', 'foobar', 'bar'],
    ['foo*.args.V=1', 'foo.tags+=b', 'bar.args.FROM_ENV', 'foo.secret.s=env=S', '*.load=true', 'bar.no-cache=false'],
    { FROM_ENV: 'e' },
  );
  t.like(targets.get('foo'), {
    tags: ['a', 'b'],
    args: { V: '1' },
    secret: [{ id: 's', env: 'S' }],
    output: [{ type: 'docker' }],
  });
  t.like(targets.get('foobar'), { args: { V: '1' } });
  t.like(targets.get('bar'), { args: { FROM_ENV: 'e' }, 'no-cache': false });
  t.throws(() => resolveTargets(bake(file).config, ['foo'], ['foo.secret.missing=env=X']), {
    message: /secret "missing" is not declared/,
  });
  t.throws(() => resolveTargets(bake(file).config, ['foo'], ['foo.colour=red']), { message: 'unknown key: colour' });
  t.throws(() => resolveTargets(bake(file).config, ['foo'], ['foo.context+=x']), {
    message: /does not support append/,
  });
});

test('inheritance cycles and unknown targets are named', (t) => {
  const { config } = bake('target "a" {\n  inherits = ["b"]\n}\ntarget "b" {\n  inherits = ["a"]\n}\n');
  t.throws(() => resolveTargets(config, ['a']), { message: 'inheritance cycle: a -> b -> a' });
  t.throws(() => resolveTargets(config, ['c']), { message: 'failed to find target c' });
});

test('compose interpolation: ${VAR}, defaults, errors, $$, nested defaults; .env values', (t) => {
  const lookup = (name: string) => ({ SET: 'v', EMPTY: '' })[name];
  t.is(
    interpolate('${SET}/$SET/${UNSET:-d}/${EMPTY:-e}/${EMPTY-e}/${UNSET-x}/$$SET/${SET:+alt}/${UNSET+alt}', lookup),
    'v/v/d/e//x/$SET/alt/',
  );
  t.is(interpolate('${UNSET:-${SET}-nested}', lookup), 'v-nested');
  t.throws(() => interpolate('${UNSET:?must be set}', lookup), {
    message: 'required variable UNSET is missing a value: must be set',
  });
  t.throws(() => interpolate('${EMPTY:?}', lookup), { message: /required variable EMPTY/ });
  t.is(interpolate('${EMPTY?}', lookup), '');
  const env = parseDotEnv('# comment\nexport A=1\nB="two ${A}"\nC=\'${A} raw\'\nD=plain # comment\nE="multi\nline"\n');
  t.deepEqual(Object.fromEntries(env), { A: '1', B: 'two 1', C: '${A} raw', D: 'plain', E: 'multi\nline' });
});

test('compose files: image is the tag when build has none, every build key read or refused by name, x-bake', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-compose-'));
  await writeFile(join(dir, '.env'), 'TAG=from-dotenv\nHOST_IP=10.0.0.9\n');
  const compose = `services:
  api.v1:
    image: api:\${TAG}
    environment:
      FROM_SERVICE: s
    build:
      context: ./api
      dockerfile: api.Dockerfile
      args: [FROM_SERVICE, "PLAIN=1", UNSET_ARG]
      labels: { team: core }
      target: runtime
      network: builds
      shm_size: 128m
      extra_hosts: ["db=\${HOST_IP}"]
      ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 64 }
      additional_contexts: { base: "service:db" }
      cache_from: ["type=local,src=c"]
      secrets: [token]
      ssh: [default]
      platforms: [linux/amd64]
      no_cache: true
      pull: true
      provenance: false
      isolation: default
      privileged: false
      x-custom: ignored
      x-bake:
        tags: [extra:1]
        no-cache-filter: [deps]
  db:
    image: postgres
secrets:
  token:
    environment: TOKEN
`;
  const { config } = bake(compose, { name: 'compose.yaml', cwd: dir });
  t.deepEqual(config.groups, [{ name: 'default', targets: ['api_v1'] }]);
  t.deepEqual(config.targets[0], {
    name: 'api_v1',
    context: './api',
    dockerfile: 'api.Dockerfile',
    args: { FROM_SERVICE: 's', PLAIN: '1' },
    labels: { team: 'core' },
    contexts: { base: 'target:db' },
    tags: ['api:from-dotenv', 'extra:1'],
    'cache-from': [{ type: 'local', src: 'c' }],
    network: 'builds',
    platforms: ['linux/amd64'],
    target: 'runtime',
    'no-cache': true,
    pull: true,
    'shm-size': '128m',
    'extra-hosts': { db: '10.0.0.9' },
    ulimits: ['nofile=1024:2048', 'nproc=64:64'],
    ssh: [{ id: 'default' }],
    secret: [{ id: 'token', env: 'TOKEN' }],
    attest: [{ type: 'provenance', disabled: 'true' }],
    'no-cache-filter': ['deps'],
  });
  const refuse = (key: string, message: RegExp) =>
    t.throws(
      () => bake(`services:\n  a:\n    build:\n      context: .\n      ${key}\n`, { name: 'compose.yaml', cwd: dir }),
      { message },
    );
  refuse('privileged: true', /privileged builds are not supported/);
  refuse('isolation: hyperv', /only "default" is supported/);
  refuse('sbom: true', /attestations are not supported/);
  refuse('contxt: .', /services\.a\.build\.contxt: not a key of the compose build specification/);
});

test('a bake target as BuildOptions: paths from the working directory, the Dockerfile from the context', (t) => {
  const options = buildOptionsOf(
    {
      name: 't',
      context: 'app',
      dockerfile: 'x.Dockerfile',
      args: { A: '1', B: null },
      tags: ['t:1'],
      'shm-size': '64m',
      'extra-hosts': { db: '10.0.0.1,10.0.0.2' },
      output: [
        { type: 'docker', name: 'also:1' },
        { type: 'tar', dest: 'o.tar' },
      ],
      'cache-to': [{ type: 'local', dest: 'c' }],
    },
    { cwd: '/work' },
  );
  t.like(options, {
    context: '/work/app',
    dockerfile: '/work/app/x.Dockerfile',
    buildArgs: { A: '1' },
    tags: ['t:1', 'also:1'],
    cacheTo: 'c',
    outputs: [{ type: 'tar', dest: 'o.tar' }],
  });
  t.like(options.limits, { shmSize: 64 * 1024 ** 2, extraHosts: ['db:10.0.0.1', 'db:10.0.0.2'] });
  t.like(buildOptionsOf({ name: 'i', 'dockerfile-inline': 'FROM busybox' }), { dockerfileText: 'FROM busybox' });
  t.throws(() => buildOptionsOf({ name: 'p', platforms: ['linux/amd64', 'linux/arm64'] }), {
    message: /target p: platforms .*multi-platform builds are not supported/,
  });
  t.like(buildOptionsOf({ name: 'r', output: [{ type: 'registry' }] }), { push: true });
  t.throws(() => buildOptionsOf({ name: 'g', context: 'https://github.com/x/y.git' }), { message: /a remote context/ });
});

test('a bake target’s entitlements need --allow; its named contexts and ssh agents reach the build', (t) => {
  t.throws(() => buildOptionsOf({ name: 'e', entitlements: ['security.insecure'] }), {
    message: /entitlement security.insecure is requested but not granted: add --allow security.insecure/,
  });
  const options = buildOptionsOf(
    {
      name: 'c',
      context: 'app',
      entitlements: ['security.insecure'],
      contexts: { lib: '../lib', here: 'cwd://x', img: 'docker-image://busybox', abs: '/srv/y' },
      ssh: [{ id: 'default' }, { id: 'gh', paths: ['k1', 'k2'] }],
    },
    { cwd: '/work', allow: ['security.insecure'] },
  );
  t.deepEqual(options.allow, ['security.insecure']);
  t.deepEqual(options.buildContexts, ['lib=/work/lib', 'here=/work/x', 'img=docker-image://busybox', 'abs=/srv/y']);
  t.deepEqual(options.ssh, ['default', 'gh=k1,k2']);
  t.throws(() => buildOptionsOf({ name: 'd', contexts: { base: 'target:base' } }), {
    message: /another bake target as a context is not supported yet/,
  });
});

test('a target that builds FROM another target’s tag is ordered after it (docker/buildx#447)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-order-'));
  await writeFile(join(dir, 'base.Dockerfile'), 'FROM busybox\n');
  await writeFile(join(dir, 'app.Dockerfile'), 'ARG BASE=myorg/base\nFROM ${BASE}\nCOPY --from=myorg/tools:1 /x /x\n');
  await writeFile(join(dir, 'tools.Dockerfile'), 'FROM scratch\n');
  const builds = new Map(
    [
      { name: 'app', dockerfile: 'app.Dockerfile' },
      { name: 'base', dockerfile: 'base.Dockerfile', tags: ['myorg/base:latest'] },
      { name: 'tools', dockerfile: 'tools.Dockerfile', tags: ['docker.io/myorg/tools:1'] },
    ].map((target) => [target.name, buildOptionsOf(target, { cwd: dir })]),
  );
  const order = await targetOrder(builds);
  t.deepEqual(order.get('app'), ['base', 'tools']);
  t.deepEqual(order.get('base'), []);
});
