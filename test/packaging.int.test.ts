// Integration: the package installs as users install CLIs. The built tree is packed (what `prepack`
// builds), the tarball holds only what runs (the bundle, the library and its types, README, LICENSE),
// it installs into a temporary prefix, and the installed `msbuild` builds a fixture.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { madeByThisFile, makeContext, runCommand } from './support/docker.js';

const { cleanup } = madeByThisFile();
const root = fileURLToPath(new URL('../../', import.meta.url));

test('npm pack, npm install -g --prefix, msbuild --version and a build', async (t) => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
  };
  t.is(manifest.scripts.prepack, 'npm run build && make dist/oci-helper');
  t.truthy(manifest.dependencies['@types/dockerode'], 'the published types import dockerode’s');
  t.true(existsSync(join(root, 'LICENSE')));
  const work = await mkdtemp(join(tmpdir(), 'msbuild-pack-'));
  cleanup.push(work);
  // The tree is built (make build); --ignore-scripts keeps this test from rebuilding it under other tests.
  const packed = await runCommand('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work, root], {
    timeoutMs: 120_000,
  });
  t.is(packed.code, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = info.files.map((file) => file.path);
  t.true(
    files.includes('dist/msbuild.cjs') &&
      files.includes('dist/cli/launcher.cjs') &&
      files.includes('LICENSE') &&
      files.includes('README.md'),
  );
  t.true(files.includes('dist/engine/build.d.ts'));
  t.deepEqual(
    files.filter(
      (file) =>
        /^(test|fixtures|bench|scripts|engine|cli)\/|^dist\/test\/|\.map$|\.ts$/.test(file) && !file.endsWith('.d.ts'),
    ),
    [],
  );
  // The CLI bundle, the OCI worker's helper, and the engine's modules (.js and .d.ts, for the library).
  t.true(files.includes('dist/oci-helper'));
  t.true(files.length < 600, `${files.length} files`);
  const prefix = join(work, 'prefix');
  const installed = await runCommand(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      join(work, info.filename),
    ],
    { timeoutMs: 300_000 },
  );
  t.is(installed.code, 0, installed.stderr);
  const bin = join(prefix, 'bin', 'msbuild');
  t.true(existsSync(bin));
  const version = await runCommand(bin, ['--version']);
  t.is(version.stdout.trim(), manifest.version);
  const context = await makeContext({ Dockerfile: 'FROM scratch\nCOPY hello /hello\n', hello: 'hi\n' });
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-pack-cache-'));
  cleanup.push(context, cacheDir);
  const plan = await runCommand(bin, ['plan', context]);
  t.is(plan.code, 0, plan.stderr);
  const built = await runCommand(bin, [
    'build',
    '-q',
    '--pull',
    'never',
    '--cache-dir',
    cacheDir,
    '-o',
    join(context, 'out'),
    context,
  ]);
  t.is(built.code, 0, built.stderr);
  t.regex(built.stdout, /^sha256:[0-9a-f]{64}\n$/);
  t.is(readFileSync(join(context, 'out', 'hello'), 'utf8'), 'hi\n');
});
