// Unit: the package as a user imports it, by its name — `multistage-builder` exports the public API (build,
// bake, planning, events, errors, cache tools) and nothing of the engine's internals is reachable.
import test from 'ava';
import * as msbuild from 'multistage-builder';

test('the public API is importable by the package name', (t) => {
  for (const name of [
    'build',
    'runBake',
    'readBakeFiles',
    'parseBakeFiles',
    'resolveTargets',
    'printBake',
    'planBuild',
    'planFromAst',
    'parseDockerfile',
    'parseOutputSpec',
    'BuildRecorder',
    'MsbuildError',
    'isMsbuildError',
    'BuildError',
    'DaemonError',
    'DockerfileSyntaxError',
    'PlanError',
    'CacheStore',
    'exportCache',
    'importCache',
    'prune',
  ])
    t.is(typeof (msbuild as Record<string, unknown>)[name], 'function', name);
  t.false('Build' in msbuild, 'the orchestrator class is not public');
});

test('errors of the API share the base and carry codes', async (t) => {
  const error = await t.throwsAsync(msbuild.planBuild('FROM busybox\nCOPY --form=x /a /b\n'));
  t.true(error instanceof msbuild.MsbuildError);
  t.true(error instanceof msbuild.DockerfileSyntaxError);
  t.is((error as msbuild.MsbuildError).code, 'MSBUILD_DOCKERFILE_SYNTAX');
});

test('internal modules are not exported', async (t) => {
  const internal = 'multistage-builder/build';
  await t.throwsAsync(import(internal), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
});
