// Unit: build-check warnings in every view — after the summary in the plain and TTY views (also after a
// failure), one JSON line each with --progress=json — and the `msbuild check` report with BuildKit's
// source excerpt (a few lines around the instruction, `>>>` on its lines).
import test from 'ava';
import { checkReportLines, sourceExcerpt } from '../../cli/render/check-report.js';
import { jsonLine } from '../../cli/render/json.js';
import { PlainRenderer } from '../../cli/render/plain.js';
import { TtyRenderer } from '../../cli/render/tty.js';
import type { BuildEvent, CheckWarningEvent } from '../../engine/events.js';
import { coldBuild, failedBuild } from './_recorded-builds.js';

const warning: CheckWarningEvent = {
  type: 'check-warning',
  time: 1,
  rule: 'FromAsCasing',
  description: "The 'as' keyword should match the case of the 'from' keyword",
  url: 'https://docs.docker.com/go/dockerfile/rule/from-as-casing/',
  message: "'as' and 'FROM' keywords' casing do not match",
  file: 'Dockerfile',
  line: 1,
  endLine: 1,
};
const expectedBlock = [
  '1 warning found (build checks; `msbuild check` shows where):',
  " - FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)",
];

function plain(events: BuildEvent[]): string {
  let text = '';
  const renderer = new PlainRenderer({ write: (chunk) => (text += chunk) });
  for (const event of events) renderer.handle(event);
  return text;
}

function tty(events: BuildEvent[]): string[] {
  let final: string[] = [];
  const renderer = new TtyRenderer({
    output: { frame: () => undefined, finish: (lines) => (final = lines), size: () => ({ columns: 200, rows: 50 }) },
    every: () => ({ stop: () => undefined }),
    color: false,
  });
  for (const event of events) renderer.handle(event);
  return final;
}

test('the plain view lists the warnings after the summary, and after a failure', (t) => {
  const done = plain([warning, ...coldBuild])
    .trimEnd()
    .split('\n');
  t.deepEqual(done.slice(-2), expectedBlock);
  t.regex(done.slice(0, -3).join('\n'), /critical path: /);
  t.deepEqual(
    plain([warning, ...failedBuild])
      .trimEnd()
      .split('\n')
      .slice(-2),
    expectedBlock,
  );
  t.notRegex(plain(coldBuild), /warning found/);
});

test('the TTY view keeps the warnings on screen after the summary, and after a failure', (t) => {
  t.deepEqual(tty([warning, ...coldBuild]).slice(-2), expectedBlock);
  t.deepEqual(tty([warning, ...failedBuild]).slice(-2), expectedBlock);
});

test('--progress=json writes each warning as one check-warning line', (t) => {
  t.deepEqual(JSON.parse(jsonLine(warning)), warning);
});

test("the check report: BuildKit's excerpt, the count, and a clean file says so", (t) => {
  const source = 'FROM busybox as base\nRUN echo hi\nCMD a\nCMD b\nRUN x\nRUN y\nRUN z\n';
  t.deepEqual(sourceExcerpt('Dockerfile', source, { start: { line: 4, column: 1 }, end: { line: 4, column: 6 } }), [
    'Dockerfile:4',
    '--------------------',
    '   2 |     RUN echo hi',
    '   3 |     CMD a',
    '   4 | >>> CMD b',
    '   5 |     RUN x',
    '   6 |     RUN y',
    '--------------------',
  ]);
  const range = { start: { line: 1, column: 1 }, end: { line: 1, column: 21 } };
  const lines = checkReportLines({
    file: 'Dockerfile',
    source,
    warnings: [{ ...warning, range }],
  });
  t.deepEqual(lines.slice(0, 4), [
    'Check complete, 1 warning has been found!',
    '',
    'WARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/',
    "'as' and 'FROM' keywords' casing do not match",
  ]);
  t.is(lines[4], 'Dockerfile:1');
  t.is(lines[6], '   1 | >>> FROM busybox as base');
  t.deepEqual(checkReportLines({ file: 'Dockerfile', source, warnings: [] }), ['Check complete, no warnings found.']);
});
