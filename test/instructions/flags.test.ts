import test from 'ava';
import { parseGoDuration } from '../../engine/instructions/duration.js';
import { FlagError, parseFlags } from '../../engine/instructions/flags.js';
import { parseRunMount, RunMountError } from '../../engine/instructions/run-mount.js';
import { csvFields } from '../../engine/util/csv.js';

const at = { line: 1, column: 6 };
const flags = (...texts: string[]) => texts.map((text, i) => ({ text, position: { line: 1, column: 6 + i * 10 } }));

test('string, bool and repeatable flags', (t) => {
  const parsed = parseFlags(flags('--from=build', '--link', '--exclude=*.md', '--exclude=tmp'), {
    from: 'string',
    link: 'bool',
    exclude: 'strings',
    chown: 'string',
  });
  t.is(parsed.string('from'), 'build');
  t.true(parsed.bool('link'));
  t.deepEqual(parsed.strings('exclude'), ['*.md', 'tmp']);
  t.is(parsed.string('chown'), '');
  t.deepEqual([...parsed.used].sort(), ['exclude', 'from', 'link']);
  t.deepEqual(parsed.position('link'), { line: 1, column: 16 });
});

test('unknown flags are errors that name the flag and suggest the right one', (t) => {
  const error = t.throws(() => parseFlags(flags('--form=build'), { from: 'string', chown: 'string' }), {
    instanceOf: FlagError,
  });
  t.is(error?.message, 'unknown flag: --form (did you mean --from?)');
  t.deepEqual(error?.position, { line: 1, column: 6 });
});

test('flag value rules follow BuildKit', (t) => {
  t.throws(() => parseFlags(flags('--from'), { from: 'string' }), { message: 'missing a value on flag: --from' });
  t.throws(() => parseFlags(flags('--link='), { link: 'bool' }), { message: 'missing a value on flag: --link' });
  t.throws(() => parseFlags(flags('--link=maybe'), { link: 'bool' }), {
    message: 'expecting boolean value for flag --link, not: maybe',
  });
  t.false(parseFlags(flags('--link=false'), { link: 'bool' }).bool('link'));
  t.throws(() => parseFlags(flags('--from=a', '--from=b'), { from: 'string' }), {
    message: 'duplicate flag specified: --from',
  });
  t.is(parseFlags(flags('--', '--from=x'), { from: 'string' }).string('from'), '', '-- ends the flags');
});

test('Go durations', (t) => {
  t.is(parseGoDuration('30s'), 30e9);
  t.is(parseGoDuration('1m30s'), 90e9);
  t.is(parseGoDuration('1.5h'), 5400e9);
  t.is(parseGoDuration('300ms'), 300e6);
  t.is(parseGoDuration('0'), 0);
  t.throws(() => parseGoDuration('10'), { message: /missing unit/ });
  t.throws(() => parseGoDuration('5d'), { message: /unknown unit/ });
  t.throws(() => parseGoDuration(''), { message: /invalid duration/ });
});

test('mount specs: CSV fields, defaults and checks', (t) => {
  t.deepEqual(csvFields('type=bind,"source=a,b",target=/x'), ['type=bind', 'source=a,b', 'target=/x']);
  t.throws(() => csvFields('source="a,b"'), { message: /bare "/ });
  const cache = parseRunMount('type=cache,target=/root/.cache,id=go', (w) => w, at);
  t.is(cache.type, 'cache');
  t.false(cache.readOnly, 'cache mounts are writable by default');
  const bind = parseRunMount('type=bind,from=build,source=/out,target=/in', (w) => w, at);
  t.true(bind.readOnly, 'bind mounts are read-only by default');
  t.is(bind.from, 'build');
  const secret = parseRunMount('type=secret,id=token,required', (w) => w, at);
  t.true(secret.required);
  t.throws(() => parseRunMount('type=tmpfs,uid=1', (w) => w, at), {
    instanceOf: RunMountError,
    message: /uid not allowed/,
  });
  t.throws(() => parseRunMount('type=bogus', (w) => w, at), { message: /unsupported mount type "bogus"/ });
  t.throws(() => parseRunMount('type=cache,sharing=sometimes', (w) => w, at), { message: /unsupported sharing value/ });
  t.throws(() => parseRunMount('type=cache,from=$STAGE', undefined, at), {
    message: /doesn't support variable expansion/,
  });
});
