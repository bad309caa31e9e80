// Unit: variable expansion with BuildKit's shell-lex semantics. The expected values are what
// BuildKit's lexer gives for these words with this environment ('ERROR' where it refuses).
import test from 'ava';
import { ExpansionError } from '../../engine/expand/errors.js';
import { expandWord, expandWords, type EscapeToken } from '../../engine/expand/lex.js';

const env = new Map(Object.entries({
  SET: 'value',
  EMPTY: '',
  PATHS: '/usr/local/bin:/usr/bin:/bin',
  FILE: 'archive.tar.gz',
  SPACED: 'a b  c',
  STAR: 'a*b',
  QUOTE: 'say "hi"',
}));

/** [word, escape token, split into words?, expected] */
const table: Array<[string, EscapeToken, boolean, string | string[]]> = [
  ["${SET:-default}", "\\", false, "value"],
  ["${SET-default}", "\\", false, "value"],
  ["${SET:+default}", "\\", false, "default"],
  ["${SET+default}", "\\", false, "default"],
  ["${EMPTY:-default}", "\\", false, "default"],
  ["${EMPTY-default}", "\\", false, ""],
  ["${EMPTY:+default}", "\\", false, ""],
  ["${EMPTY+default}", "\\", false, "default"],
  ["${UNSET:-default}", "\\", false, "default"],
  ["${UNSET-default}", "\\", false, "default"],
  ["${UNSET:+default}", "\\", false, ""],
  ["${UNSET+default}", "\\", false, ""],
  ["$SET", "\\", false, "value"],
  ["${SET}", "\\", false, "value"],
  ["$SET-suffix", "\\", false, "value-suffix"],
  ["${SET}suffix", "\\", false, "valuesuffix"],
  ["prefix$SET", "\\", false, "prefixvalue"],
  ["$UNSET", "\\", false, ""],
  ["${UNSET}", "\\", false, ""],
  ["$EMPTY", "\\", false, ""],
  ["a$", "\\", false, "a$"],
  ["$", "\\", false, "$"],
  ["$$", "\\", false, ""],
  ["$1", "\\", false, ""],
  ["${1}", "\\", false, ""],
  ["$@", "\\", false, ""],
  ["$9x", "\\", false, "x"],
  ["$SET_x", "\\", false, ""],
  ["${SET_x}", "\\", false, ""],
  ["${FILE#*.}", "\\", false, "tar.gz"],
  ["${FILE##*.}", "\\", false, "gz"],
  ["${FILE%.*}", "\\", false, "archive.tar"],
  ["${FILE%%.*}", "\\", false, "archive"],
  ["${FILE#archive}", "\\", false, ".tar.gz"],
  ["${FILE%gz}", "\\", false, "archive.tar."],
  ["${FILE#nomatch}", "\\", false, "archive.tar.gz"],
  ["${FILE%?z}", "\\", false, "archive.tar."],
  ["${FILE#a?c}", "\\", false, "hive.tar.gz"],
  ["${UNSET#x}", "\\", false, ""],
  ["${STAR#a\\*}", "\\", false, "b"],
  ["${PATHS#*/}", "\\", false, "usr/local/bin:/usr/bin:/bin"],
  ["${PATHS##*/}", "\\", false, "bin"],
  ["${PATHS/usr/opt}", "\\", false, "/opt/local/bin:/usr/bin:/bin"],
  ["${PATHS//usr/opt}", "\\", false, "/opt/local/bin:/opt/bin:/bin"],
  ["${PATHS//\\//|}", "\\", false, "|usr|local|bin:|usr|bin:|bin"],
  ["${PATHS/#/x}", "\\", false, "/usr/local/bin:/usr/bin:/bin"],
  ["${FILE/.tar/}", "\\", false, "archive.gz"],
  ["${FILE//a/A}", "\\", false, "Archive.tAr.gz"],
  ["${UNSET/a/b}", "\\", false, ""],
  ["${FILE/*/all}", "\\", false, "all"],
  ["${FILE//?/.}", "\\", false, ".............."],
  ["'$SET'", "\\", false, "$SET"],
  ["\"$SET\"", "\\", false, "value"],
  ["\"${SET} and ${EMPTY:-e}\"", "\\", false, "value and e"],
  ["\"quoted \\\"inner\\\"\"", "\\", false, "quoted \"inner\""],
  ["\"back\\\\slash\"", "\\", false, "back\\slash"],
  ["\"keep \\n escape\"", "\\", false, "keep \\n escape"],
  ["'single \\n'", "\\", false, "single \\n"],
  ["un\\\"quoted", "\\", false, "un\"quoted"],
  ["esc\\$SET", "\\", false, "esc$SET"],
  ["\\$SET", "\\", false, "$SET"],
  ["\"\\$SET\"", "\\", false, "$SET"],
  ["a\\ b", "\\", false, "a b"],
  ["trailing\\", "\\", false, "trailing"],
  ["\"$QUOTE\"", "\\", false, "say \"hi\""],
  ["mixed'$SET'\"$SET\"", "\\", false, "mixed$SETvalue"],
  ["${SET:-${FILE%.gz}}", "\\", false, "value"],
  ["${UNSET:-${SET:+nested}}", "\\", false, "nested"],
  ["${UNSET:-\"quoted default\"}", "\\", false, "quoted default"],
  ["${UNSET:-'single'}", "\\", false, "single"],
  ["${SET:+$FILE}", "\\", false, "archive.tar.gz"],
  ["<<EOF", "\\", false, "<<EOF"],
  ["a<b", "\\", false, "a<b"],
  ["<< EOF", "\\", false, "<< EOF"],
  ["<<-\"EOF\"", "\\", false, "<<-EOF"],
  ["${UNSET:?must be set}", "\\", false, "ERROR"],
  ["${UNSET?}", "\\", false, "ERROR"],
  ["${EMPTY:?}", "\\", false, "ERROR"],
  ["${EMPTY?ok}", "\\", false, ""],
  ["${SET", "\\", false, "ERROR"],
  ["${", "\\", false, "ERROR"],
  ["${}", "\\", false, "ERROR"],
  ["${:x}", "\\", false, "ERROR"],
  ["${SET:#x}", "\\", false, "ERROR"],
  ["${SET:%x}", "\\", false, "ERROR"],
  ["${SET/x", "\\", false, "ERROR"],
  ["\"unterminated", "\\", false, "ERROR"],
  ["'unterminated", "\\", false, "ERROR"],
  ["${SET#\\x}", "\\", false, "ERROR"],
  ["${SET^^}", "\\", false, "ERROR"],
  ["80 443", "\\", true, ["80", "443"]],
  ["$SPACED", "\\", true, ["a", "b", "c"]],
  ["\"$SPACED\"", "\\", true, ["a b  c"]],
  ["a 'b c' d", "\\", true, ["a", "b c", "d"]],
  ["${SPACED:-x} tail", "\\", true, ["a", "b", "c", "tail"]],
  ["  lead  trail  ", "\\", true, ["lead", "trail"]],
  ["x$SPACED\"y z\"", "\\", true, ["xa", "b", "cy z"]],
  ["a`$SET", "`", false, "a$SET"],
  ["\"q`\"x\"", "`", false, "q\"x"],
  ["c:\\path\\$SET", "`", false, "c:\\path\\value"],
  ["x`", "`", false, "x"],
];

for (const [word, escapeToken, words, expected] of table) {
  test(`${words ? 'words' : 'word'} ${JSON.stringify(word)} (escape ${escapeToken})`, (t) => {
    const run = () => (words ? expandWords(word, env, { escapeToken }) : expandWord(word, env, { escapeToken }).value);
    if (expected === 'ERROR') t.throws(run, { instanceOf: ExpansionError });
    else t.deepEqual(run(), expected);
  });
}

test('matched and unmatched variables are reported (for undefined-variable warnings)', (t) => {
  const result = expandWord('$SET ${UNSET:-x} ${EMPTY}', env);
  t.deepEqual([...result.matched].sort(), ['EMPTY', 'SET']);
  t.deepEqual([...result.unmatched], ['UNSET']);
});

test('options: raw quotes and escapes, unset variables left as written, quotes as plain text', (t) => {
  t.is(expandWord('"$SET" \\x', env, { rawQuotes: true, rawEscapes: true }).value, '"value" \\x');
  t.is(expandWord('$UNSET ${UNSET:-d} ${UNSET#p} $SET', env, { skipUnsetEnv: true }).value, '$UNSET ${UNSET:-d} ${UNSET#p} value');
  t.is(expandWord('say "$SET"', env, { skipProcessQuotes: true }).value, 'say "value"');
});

test('error messages name the word and the problem', (t) => {
  t.throws(() => expandWord('${NAME:?needs a name}', env), { message: 'failed to process "${NAME:?needs a name}": NAME: needs a name' });
  t.throws(() => expandWord('${SET', env), { message: /missing '}'/ });
  t.throws(() => expandWord("'open", env), { message: /matching single-quote/ });
});

test('random words never throw anything but ExpansionError', (t) => {
  let seed = 3;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pieces = ['$', '{', '}', ':', '-', '+', '?', '#', '%', '/', '*', '\\', '`', '"', "'", ' ', 'A', 'SET', '[', '^'];
  for (let i = 0; i < 5000; i++) {
    const word = Array.from({ length: Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    try {
      expandWord(word, env, { escapeToken: random() < 0.5 ? '\\' : '`' });
      expandWords(word, env);
    } catch (error) {
      if (!(error instanceof ExpansionError)) t.fail(`${JSON.stringify(word)}: ${(error as Error).stack}`);
    }
  }
  t.pass();
});
