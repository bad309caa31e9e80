// Unit (no Docker needed): `msbuild bake` checks its flags as `msbuild build` does, before reading
// anything; file errors print once with their position and no stack; the default files are found in
// buildx's order (or BUILDX_BAKE_FILE, COMPOSE_FILE); --list, --set, --var and msbuild.yaml.
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { msbuild } from '../support/cli.js';
import { makeContext, removeDir } from '../support/docker.js';

const cleanup: string[] = [];
test.after.always(async () => {
  for (const dir of cleanup) await removeDir(dir);
});

async function project(files: Record<string, string>): Promise<string> {
  const dir = await makeContext({ Dockerfile: 'FROM busybox\n', ...files });
  cleanup.push(dir);
  return dir;
}

// No daemon: a flag that got past its check would fail on the connection instead.
const noDaemon = { DOCKER_HOST: 'unix:///nonexistent.sock', BUILDKIT_PROGRESS: '' };

const flags: Array<[string[], string]> = [
  [['-j', 'abc'], 'error: invalid --jobs "abc": expected a positive integer\n'],
  [['--network', 'bad name'], `error: invalid --network "bad name": use default, none, host or a network's name\n`],
  [['--progress', 'fancy'], 'error: invalid --progress "fancy": use auto, tty, plain, json, rawjson, quiet or none\n'],
  [['--pull=sometimes'], 'error: invalid --pull "sometimes": use always, missing or never\n'],
];

for (const [args, expected] of flags) {
  test(`bake ${args.join(' ')} is refused up front, as build refuses it`, async (t) => {
    const dir = await project({ 'docker-bake.hcl': 'target "default" {}\n' });
    const bake = await msbuild(['bake', ...args], { cwd: dir, env: noDaemon });
    t.is(bake.code, 1);
    t.is(bake.stderr, expected);
    t.is(bake.stdout, '');
  });
}

test('an HCL error: file, line and column, the line and a caret; no stack', async (t) => {
  const dir = await project({
    'docker-bake.hcl': 'target "default" {\n  dockerfile-inline = "FROM ${BASE_IMAGE}"\n}\n',
  });
  const result = await msbuild(['bake', '--print'], { cwd: dir, env: noDaemon });
  t.is(result.code, 1);
  t.is(
    result.stderr,
    'error: docker-bake.hcl:2:31: unknown variable: there is no variable named "BASE_IMAGE"\n   dockerfile-inline = "FROM ${BASE_IMAGE}"\n                               ^\n',
  );
});

test('default files: every one buildx looks for is read and merged; BUILDX_BAKE_FILE and COMPOSE_FILE choose others', async (t) => {
  const dir = await project({
    'compose.yaml': 'services:\n  web:\n    build: .\n    image: web:${TAG:-latest}\n',
    'docker-bake.hcl': 'target "web" {\n  args = { A = "1" }\n}\n',
    'other.hcl': 'target "other" {}\n',
    'alt-compose.yml': 'services:\n  alt:\n    build: .\n',
  });
  const printed = JSON.parse((await msbuild(['bake', '--print'], { cwd: dir, env: noDaemon })).stdout) as {
    target: Record<string, { tags?: string[]; args?: Record<string, string> }>;
  };
  t.deepEqual(printed.target.web.tags, ['web:latest']);
  t.deepEqual(printed.target.web.args, { A: '1' });
  const fromEnv = await msbuild(['bake', '--print', 'other'], {
    cwd: dir,
    env: { ...noDaemon, BUILDX_BAKE_FILE: 'other.hcl' },
  });
  t.deepEqual(Object.keys((JSON.parse(fromEnv.stdout) as { target: object }).target), ['other']);
  const compose = await msbuild(['bake', '--print'], {
    cwd: dir,
    env: { ...noDaemon, COMPOSE_FILE: 'alt-compose.yml' },
  });
  t.deepEqual(Object.keys((JSON.parse(compose.stdout) as { target: object }).target), ['alt']);
  const none = await msbuild(['bake', '--print'], { cwd: await project({}), env: noDaemon });
  t.regex(none.stderr, /^error: couldn't find a bake definition/);
});

test('--list targets and variables: buildx tables, and JSON', async (t) => {
  const dir = await project({
    'docker-bake.hcl': [
      'variable "REGISTRY" {\n  default = "docker.io/username"\n  description = "Registry and namespace"\n}',
      'variable "GO_VERSION" {}',
      'variable "DEBUG" {\n  type = bool\n  default = false\n  description = "Add debug symbols"\n}',
      'group "default" {\n  targets = ["binaries"]\n}',
      'target "binaries" {}',
      'target "_private" {}',
      'target "validate" {\n  description = "Validate things"\n}',
    ].join('\n'),
  });
  const targets = await msbuild(['bake', '--list=targets'], { cwd: dir, env: noDaemon });
  t.is(
    targets.stdout,
    'TARGET\t\tDESCRIPTION\nbinaries\t\nvalidate\tValidate things\n'.replace(
      'binaries\t\n',
      'binaries\t\ndefault\t\tbinaries\n',
    ),
  );
  const variables = await msbuild(['bake', '--list', 'variables'], { cwd: dir, env: noDaemon });
  t.is(
    variables.stdout,
    'VARIABLE\tTYPE\tVALUE\t\t\tDESCRIPTION\nDEBUG\t\tbool\tfalse\t\t\tAdd debug symbols\nGO_VERSION\t\t\t\t\t\nREGISTRY\t\tdocker.io/username\tRegistry and namespace\n',
  );
  const json = await msbuild(['bake', '--list=type=targets,format=json'], { cwd: dir, env: noDaemon });
  t.deepEqual(JSON.parse(json.stdout), [
    { name: 'binaries' },
    { name: 'default', description: 'binaries', group: true },
    { name: 'validate', description: 'Validate things' },
  ]);
  const bad = await msbuild(['bake', '--list=nothing'], { cwd: dir, env: noDaemon });
  t.regex(bad.stderr, /invalid list type "nothing"/);
});

test('--set patterns, += and --var; --print and --list exclude each other', async (t) => {
  const dir = await project({
    'docker-bake.hcl':
      'variable "TAG" {\n  default = "a"\n}\ntarget "foo-1" {\n  tags = ["x:${TAG}"]\n}\ntarget "foo-2" {}\ntarget "bar" {}\n',
  });
  const result = await msbuild(
    [
      'bake',
      '--print',
      '--var',
      'TAG=b',
      '--set',
      'foo*.args.A=1',
      '--set',
      'foo-1.tags+=y:1',
      '--set',
      '*.platform=linux/amd64',
      '--set',
      'bar.no-cache',
      'foo-1',
      'foo-2',
      'bar',
    ],
    { cwd: dir, env: noDaemon },
  );
  t.is(result.code, 0, result.stderr);
  const { target } = JSON.parse(result.stdout) as { target: Record<string, Record<string, unknown>> };
  t.deepEqual(target['foo-1'].tags, ['x:b', 'y:1']);
  t.deepEqual(target['foo-2'].args, { A: '1' });
  t.is(target.bar.args, undefined);
  t.deepEqual(target.bar.platforms, ['linux/amd64']);
  t.is(target.bar['no-cache'], true);
  const both = await msbuild(['bake', '--print', '--list=targets'], { cwd: dir, env: noDaemon });
  t.is(both.stderr, 'error: --print and --list are mutually exclusive\n');
  const unknown = await msbuild(['bake', '--print', '--set', 'nope*.tags=x'], { cwd: dir, env: noDaemon });
  t.regex(unknown.stderr, /could not find any target matching 'nope\*'/);
});

test("msbuild's own msbuild.yaml still loads, as buildx's model", async (t) => {
  const dir = await project({
    'msbuild.yaml':
      'default: [api]\ntargets:\n  common:\n    args: {GO: "1.19"}\n  api:\n    inherits: [common]\n    context: sub\n    platform: linux/amd64\n    outputs: ["type=tar,dest=api.tar"]\n',
    'sub/Dockerfile': 'FROM busybox\n',
  });
  const result = await msbuild(['bake', '--print'], { cwd: dir, env: noDaemon });
  t.is(result.code, 0, result.stderr);
  t.deepEqual(JSON.parse(result.stdout), {
    group: { default: { targets: ['api'] } },
    target: {
      api: {
        context: 'sub',
        dockerfile: 'Dockerfile',
        args: { GO: '1.19' },
        platforms: ['linux/amd64'],
        output: [{ dest: 'api.tar', type: 'tar' }],
      },
    },
  });
  await writeFile(join(dir, 'msbuild.yaml'), 'targets:\n  a:\n    context: 5\n');
  const bad = await msbuild(['bake', '--print', 'a'], { cwd: dir, env: noDaemon });
  t.is(bad.stderr, 'error: msbuild.yaml:3: "context" in target a must be a string, not the number 5\n');
});

test('bake --check reports each target’s build checks without building; exit 1 on a warning', async (t) => {
  const dir = await project({
    'docker-bake.hcl':
      'group "default" {\n  targets = ["a", "b"]\n}\ntarget "a" {\n  context = "a"\n}\ntarget "b" {}\n',
    'a/Dockerfile': 'from busybox AS X\nRUN echo hi\n',
  });
  const checked = await msbuild(['bake', '--check'], { cwd: dir, env: noDaemon });
  t.is(checked.code, 1, checked.stderr);
  t.regex(checked.stdout, /^target a:\nCheck complete, 3 warnings have been found!/);
  t.regex(checked.stdout, /WARNING: StageNameCasing/);
  t.regex(checked.stdout, /target b:\nCheck complete, no warnings found\./);
  const clean = await msbuild(['bake', '--check', 'b'], { cwd: dir, env: noDaemon });
  t.is(clean.code, 0, clean.stderr);
});
