// Unit (no Docker needed): every flag is parsed as docker parses it — refused flags and refused values
// of no-op flags in one line naming them (never the whole help, never a stack), an unknown flag in one
// line with exit 125, Go-style bools (`--load`, `--load=false`, `-q`), repeatable flags accumulating.
import test from 'ava';
import { msbuild } from '../support/cli.js';

// A flag that got past its checks fails on the connection instead.
const noDaemon = { env: { DOCKER_HOST: 'unix:///nonexistent.sock', BUILDKIT_PROGRESS: '' } };
const connection = /Docker daemon|DOCKER_HOST/;

const refused: Array<[string[], RegExp]> = [
  [['--squash'], /^error: --squash is not supported \(an experimental flag/],
  [['--annotation', 'a=b'], /^error: --annotation is not supported: the classic image store keeps no annotations$/],
  [['--policy', 'x'], /^error: --policy is not supported/],
  [['--provenance=mode=max'], /--provenance=mode=max: attestations are not supported/],
  [['--sbom=true'], /--sbom=true: attestations are not supported/],
  [['--attest', 'type=sbom'], /--attest type=sbom: attestations are not supported/],
  [['--rm=false'], /--rm=false: msbuild always removes/],
  [['--isolation', 'hyperv'], /--isolation hyperv: only "default"/],
  [['--builder', 'mybuilder'], /--builder mybuilder: msbuild is its own builder/],
  [['--call', 'outline'], /--call=outline is not supported: `msbuild plan`/],
  [['--platform', 'linux/amd64,linux/arm64', '-f', '-'], /multi-platform builds are not supported/],
  [['--load=maybe'], /invalid value "maybe" for --load: expected true or false/],
  [['-o', 'type=registry'], /^error: nothing to push: name the image with -t NAME/],
  [['-o', 'type=local,dest=out,mode=delete'], /attribute "mode" is not supported for type=local/],
  [['--cache-from', 'type=gha'], /--cache-from type=gha is not supported: use local or registry/],
  [['--cache-to', 'type=gha'], /--cache-to type=gha is not supported: use local, registry or inline/],
  [['--add-host', 'nocolon'], /bad format for add-host: "nocolon"/],
  [['--ulimit', 'nofile=2:1'], /ulimit soft limit must be less than or equal to hard limit/],
  [['--resource', 'gpus=1'], /unknown resources key gpus/],
  [['--network', 'bad name!'], /invalid --network "bad name!"/],
  [['--progress', 'plain', '-q'], /--progress=plain and --quiet cannot be used together/],
];

for (const [args, expected] of refused) {
  test(`build ${args.join(' ')}: one line naming it`, async (t) => {
    const result = await msbuild(['build', ...args, '.'], { ...noDaemon, input: 'FROM busybox\n' });
    t.is(result.code, 1, result.stderr);
    t.is(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    t.regex(result.stderr.trimEnd(), expected);
    t.notRegex(result.stderr, /Usage:|    at /);
  });
}

test('an unknown flag: one line and where help is, exit 125 (as docker)', async (t) => {
  const result = await msbuild(['build', '--frobnicate', '.'], noDaemon);
  t.is(result.code, 125);
  t.is(result.stderr, "error: unknown flag '--frobnicate'\nSee 'msbuild build --help'.\n");
  const bake = await msbuild(['bake', '--nope'], noDaemon);
  t.is(bake.code, 125);
  t.regex(bake.stderr, /See 'msbuild bake --help'/);
});

const accepted: string[][] = [
  ['--load'],
  ['--load=false'],
  ['--provenance=false'],
  ['--sbom=false'],
  ['--attest', 'type=provenance,disabled=true'],
  ['--rm'],
  ['--force-rm'],
  ['--compress'],
  ['--disable-content-trust'],
  ['--isolation', 'default'],
  ['--builder', 'default'],
  ['--call', 'build'],
  ['-q'],
  ['-D'],
  ['--no-cache=true'],
  [
    '-m',
    '512m',
    '-c',
    '512',
    '--memory-swap',
    '-1',
    '--cpuset-cpus',
    '0',
    '--shm-size',
    '64m',
    '--ulimit',
    'nofile=1024',
  ],
  [
    '--add-host',
    'gw=host-gateway',
    '--add-host',
    'six=[::1]',
    '--cgroup-parent',
    'x',
    '--security-opt',
    'seccomp=unconfined',
  ],
  ['--resource', 'memory=2g', '--resource', 'cpu-quota=50000'],
  ['--network', 'my-net', '--platform', 'local'],
  ['--no-cache-filter', 'a', '--no-cache-filter', 'b,c'],
  ['--progress', 'rawjson'],
  ['--progress', 'none'],
];

for (const args of accepted) {
  test(`build ${args.join(' ')} is accepted (it gets as far as the daemon)`, async (t) => {
    const result = await msbuild(['build', ...args, '-f', '-', '.'], { ...noDaemon, input: 'FROM busybox\n' });
    t.is(result.code, 1);
    t.regex(result.stderr, connection, result.stderr);
  });
}

test('--pull before the context is the flag alone; a policy after it is its value', async (t) => {
  const alone = await msbuild(['build', '--pull', '.', '-f', '-'], { ...noDaemon, input: 'FROM busybox\n' });
  t.regex(alone.stderr, connection);
  const bad = await msbuild(['build', '--pull=sometimes', '.'], noDaemon);
  t.regex(bad.stderr, /invalid --pull "sometimes"/);
});

test('BUILDKIT_PROGRESS sets the mode when --progress is not given, and is checked', async (t) => {
  const bad = await msbuild(['build', '.'], { env: { ...noDaemon.env, BUILDKIT_PROGRESS: 'fancy' } });
  t.is(bad.stderr, 'error: invalid BUILDKIT_PROGRESS "fancy": use auto, tty, plain, json, rawjson, quiet or none\n');
  const json = await msbuild(['build', '-f', '-', '.'], {
    env: { ...noDaemon.env, BUILDKIT_PROGRESS: 'json' },
    input: 'FROM busybox\n',
  });
  t.is((JSON.parse(json.stderr.trim().split('\n').at(-1) ?? '{}') as { type?: string }).type, 'build-error');
});

test("--version prints package.json's version; completion scripts list the flags", async (t) => {
  const version = await msbuild(['--version']);
  t.regex(version.stdout, /^\d+\.\d+\.\d+\n$/);
  for (const shell of ['bash', 'zsh', 'fish']) {
    const script = await msbuild(['completion', shell]);
    t.is(script.code, 0, script.stderr);
    t.true(script.stdout.includes('--no-cache-filter') || script.stdout.includes('no-cache-filter'), shell);
  }
  const unknown = await msbuild(['completion', 'tcsh']);
  t.is(unknown.stderr, 'error: unknown shell "tcsh": use bash, zsh or fish\n');
});

test('in GitHub Actions an error is also an annotation on its file and line', async (t) => {
  const result = await msbuild(['plan', '-f', '-', '.'], {
    env: { GITHUB_ACTIONS: 'true' },
    input: 'FROM busybox\nFROB x\n',
  });
  t.is(result.code, 1);
  t.regex(result.stderr, /^::error file=-,line=2,col=1::unknown instruction: FROB/m);
});
