// Unit (no Docker): user errors print once — `file:line:col: message`, the line, a caret — exit 1,
// with no stack trace; `plan` and `debug ast` work without a daemon.
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { msbuild } from '../support/cli.js';
import { makeContext, removeDir } from '../support/docker.js';

const cleanup: string[] = [];
test.after.always(async () => {
  for (const dir of cleanup) await removeDir(dir);
});

async function contextWith(dockerfile: string): Promise<string> {
  const dir = await makeContext({ Dockerfile: dockerfile });
  cleanup.push(dir);
  return dir;
}

test('an unknown flag: location, the line, a caret under the flag, exit 1, nothing else', async (t) => {
  const dir = await contextWith('FROM busybox\nCOPY --form=build /a /b\n');
  const result = await msbuild(['plan', dir]);
  t.is(result.code, 1);
  t.is(result.stdout, '');
  t.is(
    result.stderr,
    'Dockerfile:2:6: unknown flag: --form (did you mean --from?)\n COPY --form=build /a /b\n      ^\n',
  );
});

test('an unknown instruction suggests the right one', async (t) => {
  const dir = await contextWith('FROM busybox\n  RUNN echo hi\n');
  const result = await msbuild(['plan', dir]);
  t.is(result.code, 1);
  t.is(result.stderr, 'Dockerfile:2:3: unknown instruction: RUNN (did you mean RUN?)\n   RUNN echo hi\n   ^\n');
});

test('an unterminated heredoc is an error in debug ast too, not a dump', async (t) => {
  const dir = await contextWith('FROM busybox\nRUN <<EOF\necho never closed\n');
  const result = await msbuild(['debug', 'ast', dir]);
  t.is(result.code, 1);
  t.is(result.stdout, '');
  t.regex(result.stderr, /^Dockerfile:2:5: unterminated heredoc/);
  t.notRegex(result.stderr, /at .*\.js:\d+/, 'no stack trace');
});

test('a repeated directive is rejected', async (t) => {
  const dir = await contextWith('# escape=`\n# escape=\\\nFROM busybox\n');
  const result = await msbuild(['debug', 'ast', dir]);
  t.is(result.code, 1);
  t.regex(result.stderr, /^Dockerfile:2:1: only one escape parser directive can be used/);
});

test('-f names the file in messages; a missing Dockerfile is a plain error', async (t) => {
  const dir = await contextWith('FROM busybox\n');
  await writeFile(join(dir, 'prod.Dockerfile'), 'FROM busybox AS Prod!\n');
  const bad = await msbuild(['plan', '-f', join(dir, 'prod.Dockerfile'), dir]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /prod\.Dockerfile:1:\d+: invalid name for build stage: "Prod!"/);
  const missing = await msbuild(['plan', '-f', join(dir, 'nope'), dir]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^error: cannot read Dockerfile .*nope: no such file\n$/);
});

test('plan prints the graph without Docker, in every format', async (t) => {
  const dir = await contextWith(
    'FROM busybox AS a\nRUN true\nFROM busybox AS b\nRUN true\nFROM scratch\nCOPY --from=a /x /x\nCOPY --from=b /y /y\n',
  );
  const text = await msbuild(['plan', dir], { env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /1: a, b {2}\(run at once\)\n {2}2: stage-2/);
  const json = JSON.parse((await msbuild(['plan', '--format', 'json', dir])).stdout);
  t.deepEqual(json.levels, [['a', 'b'], ['stage-2']]);
  t.regex(
    (await msbuild(['plan', '--format', 'dot', dir])).stdout,
    /^digraph plan \{[\s\S]*"a" -> "stage-2" \[style=dashed, label="copy"\];/,
  );
  t.regex((await msbuild(['plan', '--format', 'mermaid', dir])).stdout, /^flowchart LR\n/);
});

test('debug ast prints the tree in BuildKit’s dump format', async (t) => {
  const dir = await contextWith(
    'FROM busybox AS base\nCOPY --from=build --chown=1:1 /a /b\nRUN echo hello\nCMD ["echo", "hi"]\nENV A=b C=d\nENV A b c\nONBUILD RUN ["echo", "test"]\n',
  );
  const result = await msbuild(['debug', 'ast', dir]);
  t.is(result.code, 0, result.stderr);
  t.is(
    result.stdout,
    [
      '(from "busybox" "AS" "base")',
      '(copy ["--from=build" "--chown=1:1"] "/a" "/b")',
      '(run "echo hello")',
      '(cmd "echo" "hi")',
      '(env "A" "b" "=" "C" "d" "=")',
      '(env "A" "b c" "")',
      '(onbuild (run "echo" "test"))',
      '',
    ].join('\n'),
  );
});

test('a build context that is missing or a file is refused at once, as docker build words it, before any daemon is asked', async (t) => {
  const dir = await contextWith('FROM busybox\n');
  const env = { DOCKER_HOST: 'unix:///nonexistent.sock' };
  const missing = await msbuild(['build', '-f', join(dir, 'Dockerfile'), '/does-not-exist'], { env });
  t.is(missing.code, 1);
  t.is(missing.stderr, 'error: unable to prepare context: path "/does-not-exist" not found\n');
  const file = await msbuild(['build', '-f', join(dir, 'Dockerfile'), join(dir, 'Dockerfile')], { env });
  t.is(file.code, 1);
  t.is(file.stderr, `error: unable to prepare context: context must be a directory: ${join(dir, 'Dockerfile')}\n`);
  const noFile = await msbuild(['build', '/does-not-exist'], { env });
  t.is(noFile.stderr, 'error: unable to prepare context: path "/does-not-exist" not found\n');
});

test('a --cache-dir nothing can be made at fails at once with one clear line (mkdir of /proc/x answers ENOENT)', async (t) => {
  const dir = await contextWith('FROM busybox\n');
  const started = Date.now();
  const result = await msbuild(['build', '--cache-dir', '/proc/msbuild-nope/cache', dir], {
    env: { DOCKER_HOST: 'unix:///nonexistent.sock' },
    timeoutMs: 20_000,
  });
  t.is(result.code, 1);
  t.is(
    result.stderr,
    "error: cannot use the cache dir /proc/msbuild-nope/cache: ENOENT: no such file or directory, mkdir '/proc/msbuild-nope'\n",
  );
  t.true(Date.now() - started < 10_000);
});

test('an excerpt is cut to a screen’s width: a 10 MB line is refused in one line, the caret still under its column', async (t) => {
  const dir = await contextWith(`FROM busybox\nRUN echo ${'z'.repeat(10_000_000)}\n`);
  const result = await msbuild(['plan', dir]);
  t.is(result.code, 1);
  const [message, excerpt, caret, ...rest] = result.stderr.split('\n');
  t.is(message, 'Dockerfile:2:1: dockerfile line greater than max allowed size of 65535');
  t.is(excerpt, ` RUN echo ${'z'.repeat(109)}…`);
  t.is(caret, ' ^');
  t.deepEqual(rest, ['']);
  const { excerptAround } = await import('../../engine/dockerfile/errors.js');
  const line = `${'a'.repeat(500)}X${'b'.repeat(500)}`;
  const cut = excerptAround(line, 501, 80);
  t.is(cut.text.length, 80);
  t.is(cut.text[cut.column - 1], 'X', 'the caret points at the same character');
  t.true(cut.text.startsWith('…') && cut.text.endsWith('…'));
  t.deepEqual(excerptAround('short', 3, 80), { text: 'short', column: 3 });
});

test('a --secret whose file is missing is refused up front, used or not, as the docker CLI refuses it', async (t) => {
  const dir = await contextWith('FROM busybox\nRUN true\n');
  const result = await msbuild(['build', '--secret', 'id=s,src=/msbuild-missing-secret', dir], {
    env: { DOCKER_HOST: 'unix:///nonexistent.sock' },
  });
  t.is(result.code, 1);
  t.is(
    result.stderr,
    'error: could not parse secrets: [id=s,src=/msbuild-missing-secret]: failed to stat /msbuild-missing-secret: stat /msbuild-missing-secret: no such file or directory\n',
  );
});
