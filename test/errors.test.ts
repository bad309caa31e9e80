// Unit: the error base — every error msbuild raises on purpose is an MsbuildError with a stable code,
// recognised by its brand even from another copy of the module; a failure is wrapped with its step once.
import test from 'ava';
import { isUserError, UsageError } from '../cli/user-error.js';
import { BuildError, type FailedStep } from '../engine/build-error.js';
import { ChecksumMismatchError } from '../engine/copy/add-sources.js';
import { ChownError } from '../engine/copy/chown.js';
import { GitSourceError } from '../engine/copy/git-source.js';
import { SourceNotFoundError } from '../engine/copy/resolve.js';
import { DaemonError } from '../engine/docker/daemon.js';
import { CommandFailedError, InsecureUnavailableError } from '../engine/docker/run-container.js';
import { DockerfileSyntaxError } from '../engine/dockerfile/errors.js';
import { LineParseError } from '../engine/dockerfile/line-parsers.js';
import { describeError, isMsbuildError, MsbuildError, PositionedError } from '../engine/errors.js';
import { ExpansionError, ExpansionLimitError } from '../engine/expand/errors.js';
import { FlagError } from '../engine/instructions/flags.js';
import { CheckOptionError } from '../engine/lint/linter.js';
import { GitRefError } from '../engine/plan/git-ref.js';
import { PlanError } from '../engine/plan/graph.js';
import { CancelledError } from '../engine/solver/scheduler.js';

const step: FailedStep = {
  id: '1.2',
  label: '[build 2/3] RUN make',
  file: 'Dockerfile',
  line: 4,
  sourceLine: 'RUN make',
};

test('every error class has the base, its own name and a stable code', (t) => {
  const errors = [
    new DockerfileSyntaxError('bad', 'Dockerfile', { line: 1, column: 1 }),
    new PlanError('no stage', undefined),
    new BuildError('failed'),
    new DaemonError('no daemon'),
    new ExpansionError('bad substitution'),
    new ExpansionLimitError('too deep'),
    new CancelledError(),
    new ChownError('unknown user'),
    new SourceNotFoundError('a.txt', 'build context'),
    new CommandFailedError(2, ['/bin/sh', '-c', 'false']),
    new UsageError('bad flag'),
    new GitRefError('invalid git ref'),
    new GitSourceError('git fetch failed'),
    new ChecksumMismatchError('digest mismatch'),
    new CheckOptionError('bad check'),
    new InsecureUnavailableError(),
  ];
  const codes = new Set<string>();
  for (const error of errors) {
    t.true(error instanceof MsbuildError, error.name);
    t.true(error instanceof Error);
    t.regex(error.code, /^MSBUILD_[A-Z_]+$/);
    t.not(error.name, 'MsbuildError');
    codes.add(error.code);
  }
  t.is(codes.size, errors.length, 'codes are distinct');
  t.true(new ExpansionLimitError('x') instanceof ExpansionError);
  t.false(new ExpansionError('x') instanceof ExpansionLimitError, 'subclasses keep ordinary instanceof');
});

test('the brand is recognised across copies of the module; plain errors are not user errors', (t) => {
  const foreign = Object.assign(new Error('from another copy'), { [Symbol.for('msbuild.error')]: true });
  t.true(foreign instanceof MsbuildError);
  t.true(isMsbuildError(foreign));
  t.true(isUserError(foreign));
  t.false(isUserError(new Error('a bug')));
  t.false(isMsbuildError(undefined));
  t.false(new Error('x') instanceof MsbuildError);
  t.false(foreign instanceof BuildError, 'only the base answers to the brand');
});

test('positioned errors carry where they point', (t) => {
  t.true(new FlagError('unknown flag', { line: 2, column: 6 }) instanceof PositionedError);
  t.deepEqual(new FlagError('unknown flag', { line: 2, column: 6 }).position, { line: 2, column: 6 });
  t.is(new LineParseError('two arguments', 7).position, 7);
});

test('forStep: a command failure keeps its words, exit code and output tail', (t) => {
  const error = BuildError.forStep(step, new CommandFailedError(2, ['/bin/sh', '-c', 'make']), {
    outputTail: ['make: *** [all] Error 2'],
  });
  t.is(error.message, '[build 2/3] RUN make: process "/bin/sh -c make" did not complete successfully: exit code 2');
  t.is(error.reason, 'process "/bin/sh -c make" did not complete successfully: exit code 2');
  t.is(error.exitCode, 2);
  t.deepEqual(error.outputTail, ['make: *** [all] Error 2']);
  t.is(error.step, step);
});

test('forStep: a BuildError is wrapped once; a foreign error keeps its message and is the cause', (t) => {
  const named = new BuildError('already named', { step });
  t.is(BuildError.forStep({ ...step, id: '9.9' }, named), named);
  const unnamed = BuildError.forStep(step, new BuildError('secret x is required'), { outputTail: ['ignored'] });
  t.is(unnamed.message, '[build 2/3] RUN make: secret x is required');
  t.deepEqual(unnamed.outputTail, []);
  const daemon = Object.assign(new Error('(HTTP code 500) server error - no space left on device'), {
    statusCode: 500,
  });
  const wrapped = BuildError.forStep(step, daemon);
  t.is(wrapped.reason, 'no space left on device');
  t.is(wrapped.cause, daemon);
  t.is(wrapped.exitCode, undefined);
  t.is(BuildError.forStep(step, 'a string').reason, 'a string');
});

test('describeError prefers the server words of an HTTP client error', (t) => {
  t.is(describeError({ json: { message: 'No such image: x' } }), 'No such image: x');
  t.is(describeError(new Error('(HTTP code 404) no such container - gone ')), 'gone');
  t.is(describeError(new Error('plain')), 'plain');
});
