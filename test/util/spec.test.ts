// Unit: `key=value,…` specs parse one way for every caller (outputs, cache flags, secrets, bake
// entries), as buildx reads them; a cache spec is refused the same way from the CLI and from bake.
import test from 'ava';
import { parseBakeFiles, resolveTargets } from '../../engine/bake/config.js';
import { runBake } from '../../engine/bake/run.js';
import { parseCacheSpec } from '../../engine/cache/cache-spec.js';
import { UsageError } from '../../engine/errors.js';
import { parseSpec, SpecError } from '../../engine/util/spec.js';

test('a field splits at its first =; keys are lower-cased; the last of a key wins; CSV quoting', (t) => {
  t.deepEqual(
    [...parseSpec('type=local,Dest=a=b,type=tar,"src=x,y"', '--output')],
    [
      ['type', 'tar'],
      ['dest', 'a=b'],
      ['src', 'x,y'],
    ],
  );
});

test('a field without = is refused, as buildx does, naming the flag', (t) => {
  const error = t.throws(() => parseSpec('type=local,flag', '--output'), { instanceOf: SpecError });
  t.is(error?.message, 'invalid --output "type=local,flag": "flag" is not key=value');
  t.true(error instanceof UsageError);
  t.is(error?.code, 'MSBUILD_SPEC');
});

test('cache specs: a directory or type=local; another type or a missing directory is refused', (t) => {
  t.deepEqual(parseCacheSpec('/c', 'from'), { kind: 'local', dir: '/c' });
  t.deepEqual(parseCacheSpec('type=local,src=/c', 'from'), { kind: 'local', dir: '/c' });
  t.deepEqual(parseCacheSpec('type=local,src=/c=d', 'from'), { kind: 'local', dir: '/c=d' });
  t.throws(() => parseCacheSpec('type=gha', 'from'), { instanceOf: UsageError, message: /type=gha is not supported/ });
  t.throws(() => parseCacheSpec('type=local,mode=max', 'to'), { message: /dest=DIR is required/ });
});

test('bake refuses an unsupported cache type as the CLI does, as that target’s failure', async (t) => {
  const file = parseBakeFiles([{ name: 'docker-bake.hcl', text: 'target "web" {\n  cache-from = ["type=gha"]\n}\n' }], {
    cwd: '/nonexistent-context',
  });
  const [outcome] = await runBake(resolveTargets(file.config, ['web']).targets, { cwd: '/nonexistent-context' });
  t.is(outcome.target, 'web');
  t.true(outcome.error instanceof UsageError);
  t.regex(outcome.error?.message ?? '', /type=gha is not supported/);
});
