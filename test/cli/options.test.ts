// Command-line values read as docker build reads them: labels without a value, `--pull` as a flag.
import test from 'ava';
import { normalizeArgv } from '../../cli/option-parsing.js';
import { parseBuildArgs, parseLabels } from '../../cli/options.js';
import { UsageError } from '../../cli/user-error.js';

test('--label K=V, and a bare K is an empty label', (t) => {
  t.deepEqual(
    [...parseLabels(['a=1', 'b', 'c=x=y', 'd='])],
    [
      ['a', '1'],
      ['b', ''],
      ['c', 'x=y'],
      ['d', ''],
    ],
  );
  t.throws(() => parseLabels(['=v']), { instanceOf: UsageError, message: /the key is empty/ });
});

test('--build-arg K takes K from the environment, or is left out when unset', (t) => {
  process.env.MSBUILD_TEST_ARG = 'from-env';
  t.deepEqual(
    [...parseBuildArgs(['MSBUILD_TEST_ARG', 'MSBUILD_TEST_UNSET_ARG', 'X=1'])],
    [
      ['MSBUILD_TEST_ARG', 'from-env'],
      ['X', '1'],
    ],
  );
});

test('--pull followed by the context is the flag alone; policies after it are its value', (t) => {
  const argv = (rest: string[]) => normalizeArgv(['node', 'msbuild', 'build', ...rest]).slice(3);
  t.deepEqual(argv(['--pull', '.']), ['--pull=always', '.']);
  t.deepEqual(argv(['--pull', 'ctx', '-t', 'x']), ['--pull=always', 'ctx', '-t', 'x']);
  t.deepEqual(argv(['--pull', 'never', '.']), ['--pull', 'never', '.']);
  t.deepEqual(argv(['--pull', 'false', '.']), ['--pull', 'false', '.']);
  t.deepEqual(argv(['--pull', '-t', 'x', '.']), ['--pull', '-t', 'x', '.']);
  t.deepEqual(argv(['--pull']), ['--pull']);
  t.deepEqual(argv(['--', '--pull', '.']), ['--', '--pull', '.'], 'nothing after -- is an option');
});
