// Unit: a `#` after an instruction is more arguments, not a comment (as in BuildKit): the calculator
// tutorial's commented Dockerfile is refused at the first instruction BuildKit refuses, with a hint
// BuildKit does not give; instructions that take the words without complaint are not refused.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { DockerfileSyntaxError } from '../../engine/dockerfile/errors.js';
import { planBuild } from '../../engine/plan/plan.js';

const calculator = new URL('../../../fixtures/apps/go-calculator/', import.meta.url).pathname;

test('the commented calculator Dockerfile is refused at line 6 (FROM scratch # …), as BuildKit refuses it', async (t) => {
  const text = await readFile(`${calculator}comments.Dockerfile`, 'utf8');
  const error = await t.throwsAsync(planBuild(text), { instanceOf: DockerfileSyntaxError });
  t.is(error?.position.line, 6);
  t.regex(error?.message ?? '', /^FROM requires either one or three arguments/);
  t.regex(
    error?.message ?? '',
    /a Dockerfile comment must start its line: "# This is a minimal image with nothing …" is read as more arguments of FROM/,
  );
});

test('the same Dockerfile without its trailing comments plans', async (t) => {
  const text = await readFile(`${calculator}Dockerfile`, 'utf8');
  const plan = await planBuild(text);
  t.deepEqual(plan.externalImages, ['ubuntu:latest']);
});

test('a refusal without a # word gets no hint', async (t) => {
  const error = await t.throwsAsync(planBuild('FROM busybox AS a b\n'), { instanceOf: DockerfileSyntaxError });
  t.notRegex(error?.message ?? '', /comment/);
});

test('instructions BuildKit accepts with a trailing # are not refused (RUN passes it to the shell)', async (t) => {
  const plan = await planBuild(
    'FROM busybox\nRUN echo hi # a shell comment\nWORKDIR /app # read as part of the path\n',
  );
  t.is(plan.stages.length, 1);
});
