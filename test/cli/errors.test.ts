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
  t.is(result.stderr, 'Dockerfile:2:6: unknown flag: --form (did you mean --from?)\n COPY --form=build /a /b\n      ^\n');
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
  const dir = await contextWith('FROM busybox AS a\nRUN true\nFROM busybox AS b\nRUN true\nFROM scratch\nCOPY --from=a /x /x\nCOPY --from=b /y /y\n');
  const text = await msbuild(['plan', dir], { env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /1: a, b {2}\(run at once\)\n {2}2: stage-2/);
  const json = JSON.parse((await msbuild(['plan', '--format', 'json', dir])).stdout);
  t.deepEqual(json.levels, [['a', 'b'], ['stage-2']]);
  t.regex((await msbuild(['plan', '--format', 'dot', dir])).stdout, /^digraph plan \{[\s\S]*"a" -> "stage-2" \[style=dashed, label="copy"\];/);
  t.regex((await msbuild(['plan', '--format', 'mermaid', dir])).stdout, /^flowchart LR\n/);
});

test('debug ast prints the tree in BuildKit’s dump format', async (t) => {
  const dir = await contextWith('FROM busybox AS base\nCOPY --from=build --chown=1:1 /a /b\nRUN echo hello\nCMD ["echo", "hi"]\nENV A=b C=d\nENV A b c\nONBUILD RUN ["echo", "test"]\n');
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
