// Integration: build checks on the daemon. A build reports its checks as events before it starts and
// counts them in its summary; `# check=error=true` fails it before any step; UndefinedVar knows the
// base image's environment (read through the plan's base-image resolution); `msbuild check` and
// `build --check` report without building and exit 1 on a warning. Engine 20.10's BuildKit predates
// build checks: the expected warnings are current BuildKit's (its linter and dockerfile_check_test.go).
import test from 'ava';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import { DockerfileSyntaxError } from '../../engine/dockerfile/errors.js';
import type { BuildEvent, CheckWarningEvent } from '../../engine/events.js';
import { msbuild } from '../support/cli.js';
import { docker, madeByThisFile, makeContext, uniqueName } from '../support/docker.js';

const { cleanup, tags } = madeByThisFile();

async function buildWith(files: Parameters<typeof makeContext>[0]) {
  const context = await makeContext(files);
  const cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-check-cache-'));
  cleanup.push(context, cacheDir);
  const tag = `${uniqueName('msbuild-check')}:latest`;
  tags.push(tag);
  const events: BuildEvent[] = [];
  const run = () =>
    build({ context, tags: [tag], pull: 'never', cacheDir, network: 'none', onEvent: (e) => events.push(e) });
  return { context, tag, events, run };
}

const checkWarnings = (events: BuildEvent[]) =>
  events
    .filter((e): e is CheckWarningEvent => e.type === 'check-warning')
    .map((e) => `${e.line} ${e.rule}: ${e.message}`);

test('a build reports its checks before it starts, builds, and counts them in the summary', async (t) => {
  const { events, run } = await buildWith({
    Dockerfile: 'FROM busybox as base\nCOPY secret.txt /\nCMD run\n',
    '.dockerignore': 'secret.txt\n',
    'secret.txt': 'x',
  });
  await t.throwsAsync(run(), { message: /"secret.txt" not found in the build context/ });
  t.deepEqual(checkWarnings(events), [
    "1 FromAsCasing: 'as' and 'FROM' keywords' casing do not match",
    '2 CopyIgnoredFile: Attempting to Copy file "secret.txt" that is excluded by .dockerignore',
    '3 JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals',
  ]);
  const fixed = await buildWith({ Dockerfile: 'FROM busybox AS base\nCMD run\n' });
  const result = await fixed.run();
  t.is(result.summary.checkWarnings, 1);
  const types = fixed.events.map((e) => e.type);
  t.true(types.indexOf('check-warning') < types.indexOf('build-start'));
});

test('# check=error=true fails the build before any step, at the first warning', async (t) => {
  const { events, run } = await buildWith({ Dockerfile: '# check=error=true\nFROM busybox as base\nRUN echo never\n' });
  const error = await t.throwsAsync(run(), { instanceOf: DockerfileSyntaxError });
  t.is(error?.message, 'lint violation found for rules: FromAsCasing');
  t.is(error?.position.line, 2);
  t.false(events.some((e) => e.type === 'step-start'));
});

test("UndefinedVar sees the base image's environment, from the daemon", async (t) => {
  const { events, run } = await buildWith({
    Dockerfile: 'FROM golang:1.19-bookworm\nENV BIN=$GOPATH/bin V=$GOLANG_VERSOIN\n',
  });
  await run();
  t.deepEqual(checkWarnings(events), [
    "2 UndefinedVar: Usage of undefined variable '$GOLANG_VERSOIN' (did you mean $GOLANG_VERSION?)",
  ]);
});

test('msbuild check and build --check report without building, exit 1 on a warning, 0 when clean', async (t) => {
  const context = await makeContext({ Dockerfile: 'FROM busybox AS base\nMAINTAINER me\nCMD ["run"]\n' });
  cleanup.push(context);
  const tag = `${uniqueName('msbuild-check-cli')}:latest`;
  tags.push(tag);
  const checked = await msbuild(['check', context]);
  t.is(checked.code, 1);
  t.regex(
    checked.stdout,
    /^Check complete, 1 warning has been found!\n\nWARNING: MaintainerDeprecated - https:\/\/docs\.docker\.com\/go\/dockerfile\/rule\/maintainer-deprecated\/\nMaintainer instruction is deprecated in favor of using label\nDockerfile:2\n/,
  );
  t.regex(checked.stdout, / {3}2 \| >>> MAINTAINER me\n/);
  const buildCheck = await msbuild(['build', '--check', '-t', tag, context]);
  t.is(buildCheck.code, 1);
  t.regex(buildCheck.stdout, /MaintainerDeprecated/);
  await t.throwsAsync(docker.getImage(tag).inspect());
  const json = await msbuild(['check', '--progress', 'json', context]);
  t.like(JSON.parse(json.stdout.trim()), { type: 'check-warning', rule: 'MaintainerDeprecated', line: 2 });
  const clean = await makeContext({ Dockerfile: '# check=skip=MaintainerDeprecated\nFROM busybox\nMAINTAINER me\n' });
  cleanup.push(clean);
  const ok = await msbuild(['check', clean]);
  t.is(ok.code, 0);
  t.is(ok.stdout, 'Check complete, no warnings found.\n');
});
