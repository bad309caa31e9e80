// Unit: variable expansion with BuildKit's shell-lex semantics. Expected values are what BuildKit's
// lexer gives, BuildKit's quirks included (they are marked "quirk").
import test from 'ava';
import { ExpansionError } from '../../engine/expand/errors.js';
import { expandWord, expandWords, type LexOptions } from '../../engine/expand/lex.js';
import { goQuote } from '../../engine/go/quote.js';

const env: ReadonlyMap<string, string> = new Map(
  Object.entries({
    SET: 'value',
    EMPTY: '',
    FILE: 'archive.tar.gz',
    NAME: 'notes.txt',
    PATHS: '/usr/local/bin:/usr/bin',
    SPACED: ' a  b ',
    STAR: 'a*b',
    GLOB: '*.txt',
    REPEAT: 'aXbXc',
    MULTI: 'one\ntwo',
    DOLLAR: 'cost $0',
    BACKSLASH: 'C:\\dir\\',
    TRAILING: 'x\\',
    BRACE: 'a}b',
    BRACKETS: '[x]y',
    QUOTE: 'say "hi"',
    UNICODE: 'héllo wörld',
    EMOJI: '😀x😀',
    TEMPLATE: '<$0>',
    DOLLARS: '$$ ${0} $1 $x $',
  }),
);

/** [word, expected value] with the default options (escape character `\`). */
const valueCases: ReadonlyArray<readonly [string, string]> = [
  // Plain names.
  ['plain', 'plain'],
  ['', ''],
  ['$SET', 'value'],
  ['${SET}', 'value'],
  ['$SET.txt', 'value.txt'],
  ['${SET}x', 'valuex'],
  ['$SETx', ''],
  ['pre-$SET-post', 'pre-value-post'],
  ['$SET$SET', 'valuevalue'],
  ['${SET}${EMPTY}${SET}', 'valuevalue'],
  ['$set', ''],
  ['$UNSET', ''],
  ['${UNSET}', ''],
  ['$EMPTY|', '|'],
  ['$SET_', ''],
  ['$héllo', ''],
  // A `$` before something that is not a name stays.
  ['$', '$'],
  ['a$', 'a$'],
  ['$ x', '$ x'],
  ['$/', '$/'],
  ['$.x', '$.x'],
  ['"$"', '$'],
  // Positional and special parameters are names of their own (never set here).
  ['$$', ''],
  ['$$$', '$'],
  ['$1', ''],
  ['$12abc', 'abc'],
  ['${12}', ''],
  ['$0x', 'x'],
  ['$@x', 'x'],
  ['$*', ''],
  ['$#', ''],
  ['$?', ''],
  ['$!', ''],
  ['$-x', 'x'],
  // ${V-w} and ${V:-w}.
  ['${SET:-d}', 'value'],
  ['${SET-d}', 'value'],
  ['${EMPTY:-d}', 'd'],
  ['${EMPTY-d}', ''],
  ['${UNSET:-d}', 'd'],
  ['${UNSET-d}', 'd'],
  ['${UNSET:-}', ''],
  ['${UNSET:-a b}', 'a b'],
  ['${UNSET:-$SET}', 'value'],
  ['${UNSET:-${EMPTY:-deep}}', 'deep'],
  ['${UNSET:-${UNSET2:-${SET}}}', 'value'],
  ['${UNSET:-"q}"}', 'q}'],
  ["${UNSET:-'a}b'}", 'a}b'],
  ['${UNSET:-a\\}b}', 'a}b'],
  ['${UNSET:-\\$SET}', '$SET'],
  ['${UNSET:-x:y}', 'x:y'],
  // ${V+w} and ${V:+w}.
  ['${SET:+alt}', 'alt'],
  ['${SET+alt}', 'alt'],
  ['${EMPTY:+alt}', ''],
  ['${EMPTY+alt}', 'alt'],
  ['${UNSET:+alt}', ''],
  ['${UNSET+alt}', ''],
  ['${SET:+[$SET]}', '[value]'],
  // ${V?m} and ${V:?m} when they pass.
  ['${SET:?msg}', 'value'],
  ['${SET?msg}', 'value'],
  ['${EMPTY?msg}', ''],
  // # ## % %%.
  ['${FILE#*.}', 'tar.gz'],
  ['${FILE##*.}', 'gz'],
  ['${FILE%.*}', 'archive.tar'],
  ['${FILE%%.*}', 'archive'],
  ['${FILE#archive.}', 'tar.gz'],
  ['${FILE#tar}', 'archive.tar.gz'],
  ['${FILE%.gz}', 'archive.tar'],
  ['${FILE%tar}', 'archive.tar.gz'],
  ['${FILE#}', 'archive.tar.gz'],
  ['${FILE##}', 'archive.tar.gz'],
  ['${FILE#*}', 'archive.tar.gz'],
  ['${FILE##*}', ''],
  ['${FILE%*}', 'archive.tar.gz'],
  ['${FILE%%*}', ''],
  ['${FILE#?}', 'rchive.tar.gz'],
  ['${FILE%??}', 'archive.tar.'],
  ['${FILE#a*a}', 'r.gz'],
  ['${FILE%.tar.gz}', 'archive'],
  ['${FILE#archive.tar+}', 'archive.tar.gz'],
  ['${REPEAT#*X}', 'bXc'],
  ['${REPEAT##*X}', 'c'],
  ['${REPEAT%X*}', 'aXb'],
  ['${REPEAT%%X*}', 'a'],
  ['${PATHS##*/}', 'bin'],
  ['${PATHS%/*}', '/usr/local/bin:/usr'],
  ['${PATHS#/*/}', 'local/bin:/usr/bin'],
  ['${UNSET#x}', ''],
  ['${UNSET%%*}', ''],
  ['${EMPTY#*}', ''],
  // Escaped and literal pattern characters; brackets are not bracket expressions.
  ['${STAR#a\\*}', 'b'],
  ['${STAR%\\*b}', 'a'],
  ['${STAR#a?}', 'b'],
  ['${STAR#\\?}', 'a*b'],
  ['${BRACKETS#[x]}', 'y'],
  ['${BRACKETS#[a-z]}', '[x]y'],
  ['${DOLLAR#cost $}', '0'],
  ['${BACKSLASH#C:\\\\}', 'dir\\'],
  ['${BACKSLASH%\\\\}', 'C:\\dir'],
  ['${BRACE#a\\}}', 'b'],
  ['${BRACE%\\}b}', 'a'],
  // Variables and quotes in a pattern: the values are still globs, quotes are only removed (quirk).
  ['${NAME%$GLOB}', 'notes'],
  ['${STAR#"a*"}', '*b'],
  ['${FILE#"#"}', 'archive.tar.gz'],
  // Wildcards do not match a newline, as Go's `.` (quirk: a shell would give '' for ##*o).
  ['${MULTI#*o}', 'ne\ntwo'],
  ['${MULTI##*o}', 'ne\ntwo'],
  ['${MULTI%%o*}', 'one\ntw'],
  // Patterns work on characters, not UTF-16 units.
  ['${UNICODE#h?}', 'llo wörld'],
  ['${UNICODE%?ld}', 'héllo wö'],
  ['${EMOJI#?}', 'x😀'],
  ['${EMOJI%?}', '😀x'],
  // A byte order mark is skipped at the start of a word and of a pattern only.
  ['\ufeff$SET', 'value'],
  ['a\ufeff$SET', 'a\ufeffvalue'],
  ['${SET#\ufeffv}', 'alue'],
  // / and //.
  ['${FILE/.tar/}', 'archive.gz'],
  ['${FILE/a/A}', 'Archive.tar.gz'],
  ['${FILE//a/A}', 'Archive.tAr.gz'],
  ['${FILE/x/y}', 'archive.tar.gz'],
  ['${PATHS//\\//|}', '|usr|local|bin:|usr|bin'],
  ['${FILE/*/all}', 'all'],
  ['${FILE//*/all}', 'all'],
  ['${FILE/#/x}', 'archive.tar.gz'],
  ['${SET///-}', '-v-a-l-u-e-'],
  ['${SET//e*/E}', 'valuE'],
  ['${REPEAT//X*/!}', 'a!'],
  ['${REPEAT/X?/-}', 'a-Xc'],
  ['${REPEAT//X?/-}', 'a--'],
  ['${REPEAT//?/.}', '.....'],
  ['${EMOJI//?/.}', '...'],
  ['${SET/v/a/b}', 'a/balue'],
  ['${UNSET/a/b}', ''],
  ['${UNSET/*/x}', 'x'],
  ['${UNSET//*/x}', 'x'],
  // The // replacement is a Go template ($0 is the match); the / replacement is literal.
  ['${REPEAT//X/$TEMPLATE}', 'a<X>b<X>c'],
  ['${REPEAT/X/$TEMPLATE}', 'a<$0>bXc'],
  ['${SET//l/$DOLLARS}', 'va$ l   $ue'],
  // An escape in a replacement is kept (quirk).
  ['${SET/v/\\}}', '\\}alue'],
  // Quotes.
  ["'$SET'", '$SET'],
  ['"$SET"', 'value'],
  ["'a\\b'", 'a\\b'],
  ['"a\\b"', 'a\\b'],
  ['"a\\"b"', 'a"b'],
  ['"a\\$SET"', 'a$SET'],
  ['"a\\\\b"', 'a\\b'],
  ['"a\\`b"', 'a\\`b'],
  ['"it\'s"', "it's"],
  ['\'say "hi"\'', 'say "hi"'],
  ['"${SET:-x} and \'$SET\'"', "value and 'value'"],
  ['a"b"c', 'abc'],
  ["a'b'c", 'abc'],
  ['""', ''],
  ["''", ''],
  ['"$QUOTE"', 'say "hi"'],
  ['$QUOTE', 'say "hi"'],
  ['mixed\'$SET\'"$SET"', 'mixed$SETvalue'],
  // The escape character outside quotes.
  ['a\\ b', 'a b'],
  ['\\$SET', '$SET'],
  ['\\${SET}', '${SET}'],
  ['\\\\', '\\'],
  ['end\\', 'end'],
  ['\\a', 'a'],
  ['\\"', '"'],
  ["\\'", "'"],
  ['a\\\nb', 'a\nb'],
  // Heredoc markers keep the blanks after `<<`.
  ['<<EOF', '<<EOF'],
  ['<<  "EOF"', '<<  EOF'],
  ['a<b', 'a<b'],
];

/** [word, expected value] with the backtick as escape character (`# escape=\``). */
const backtickCases: ReadonlyArray<readonly [string, string]> = [
  ['a`$SET', 'a$SET'],
  ['C:\\dir\\$SET', 'C:\\dir\\value'],
  ['"`"x"', '"x'],
  ['"a`b"', 'a`b'],
  ['"a``b"', 'a`b'],
  ['"a\\$SET"', 'a\\value'],
  ['``', '`'],
  ['x`', 'x'],
  ['a` b', 'a b'],
  ['${STAR#a\\*}', 'b'],
  ['${STAR#a`*}', 'a*b'],
  ['${UNSET:-`}}', '}'],
  ['${BACKSLASH%\\\\}', 'C:\\dir'],
];

/** [word, BuildKit's reason after `failed to process "<word>": `, options]. */
const errorCases: ReadonlyArray<readonly [string, string, LexOptions?]> = [
  ['${', "syntax error: missing '}'"],
  ['${}', 'syntax error: bad substitution'],
  ['${:}', 'syntax error: bad substitution'],
  ['${{SET}}', 'syntax error: bad substitution'],
  ['${:-x}', 'syntax error: bad substitution'],
  // At the end of the word right after a name BuildKit names the end-of-input rune (quirk).
  ['${SET', 'unsupported modifier (\ufffd) in substitution'],
  ['${SET:', "syntax error: missing '}'"],
  ['${SET:-x', "syntax error: missing '}'"],
  ['${SET:-"x}', "syntax error: missing '}'"],
  ['${SET:-${UNSET?no}', "syntax error: missing '}'"],
  ['${SET:x}', 'unsupported modifier (:x) in substitution'],
  ['${SET:x', "syntax error: missing '}'"],
  ['${SET:#x}', 'unsupported modifier (:#) in substitution'],
  ['${SET:%x}', 'unsupported modifier (:%) in substitution'],
  ['${SET:/a/b}', 'unsupported modifier (:/) in substitution'],
  ['${SET:0:2}', 'unsupported modifier (:0) in substitution'],
  ['${SET^^}', 'unsupported modifier (^) in substitution'],
  ['${SET,}', 'unsupported modifier (,) in substitution'],
  ['${#SET}', 'unsupported modifier (S) in substitution'],
  ['${ SET}', 'unsupported modifier ( ) in substitution'],
  ['${SET/a', "syntax error: missing '/' in ${}"],
  ['${SET/a/b', "syntax error: missing '}'"],
  ['"open', 'unexpected end of statement while looking for matching double-quote'],
  ['"a\\"', 'unexpected end of statement while looking for matching double-quote'],
  ["'open", 'unexpected end of statement while looking for matching single-quote'],
  ['${EMPTY:?msg}', 'EMPTY: msg'],
  ['${EMPTY:?}', 'EMPTY: is not allowed to be empty'],
  ['${UNSET?}', 'UNSET: is not allowed to be unset'],
  ['${UNSET:?}', 'UNSET: is not allowed to be unset'],
  ['${UNSET?need $SET}', 'UNSET: need value'],
  ['${SET:-${UNSET?no}}', 'UNSET: no'],
  ['${X?a\tb}', 'X: a\tb'],
  ['${FILE#\\a}', "invalid pattern (\\a) in substitution: invalid escape '\\a'"],
  ['${FILE#\\[}', "invalid pattern (\\[) in substitution: invalid escape '\\['"],
  // A % pattern is reported reversed, as BuildKit matches it reversed.
  ['${FILE%a\\c}', "invalid pattern (\\ca) in substitution: invalid escape '\\c'"],
  ['${FILE#$TRAILING}', "invalid pattern (x\\) in substitution: invalid escape '\\\ufffd'"],
  ['${SET/\\q/x}', "invalid pattern (\\q) in substitution: invalid escape '\\q'"],
  ['${SET:x}', 'unsupported modifier (:x) in substitution', { skipUnsetEnv: true }],
  // With the backtick as escape character a backslash can end a pattern, and escapes nothing there.
  ['${SET#a\\}', "invalid pattern (a\\) in substitution: invalid escape '\\\ufffd'", { escapeToken: '`' }],
  ['${BACKSLASH%\\}', "invalid pattern (\\) in substitution: invalid escape '\\\ufffd'", { escapeToken: '`' }],
];

/** [word, expected words] of ProcessWords. */
const wordsCases: ReadonlyArray<readonly [string, string[], LexOptions?]> = [
  ['80 443', ['80', '443']],
  ['  lead  trail  ', ['lead', 'trail']],
  ['', []],
  ['   ', []],
  ["'' x", ['x']],
  ['"a b" c', ['a b', 'c']],
  ['a\\ b c', ['a b', 'c']],
  ['$SPACED', ['a', 'b']],
  ['"$SPACED"', [' a  b ']],
  ['x${SPACED}y', ['x', 'a', 'b', 'y']],
  ['$SET$EMPTY x', ['value', 'x']],
  ['tab\tsep\nnl', ['tab', 'sep', 'nl']],
  ['a\u00a0b\u0085c', ['a', 'b', 'c']],
  ['a\ufeffb', ['a\ufeffb']],
  ['$MULTI', ['one', 'two']],
  ['ab${SET} c', ['abvalue', 'c']],
  ['a "${UNSET:-x}"', ['a', 'x']],
  ['${UNSET:-a b}', ['a', 'b']],
  // An operator's word is split even when quoted inside the braces (quirk).
  ['${UNSET:-"a b"}', ['a', 'b']],
  // A nested operator word drops what came before it in the same word (quirk).
  ['ab${UNSET:-c}', ['c']],
  ['pre"${UNSET:-x}"', ['x']],
  ['<< EOF', ['<< EOF']],
  ['<<\t"EOF" x', ['<<\tEOF', 'x']],
  ['a < b', ['a', '<', 'b']],
  ['a` b', ['a b'], { escapeToken: '`' }],
  ['"a b"', ['"a', 'b"'], { skipProcessQuotes: true }],
];

/** [word, options, expected value]. */
const optionCases: ReadonlyArray<readonly [string, LexOptions, string]> = [
  ['$UNSET', { skipUnsetEnv: true }, '$UNSET'],
  ['${UNSET}', { skipUnsetEnv: true }, '${UNSET}'],
  ['${UNSET:-d}', { skipUnsetEnv: true }, '${UNSET:-d}'],
  ['${UNSET#a*}', { skipUnsetEnv: true }, '${UNSET#a*}'],
  ['${UNSET##a}', { skipUnsetEnv: true }, '${UNSET##a}'],
  ['${UNSET//a/b}', { skipUnsetEnv: true }, '${UNSET/a/b}'], // quirk: `//` comes back as `/`
  ['${UNSET:-$SET}', { skipUnsetEnv: true }, '${UNSET:-value}'],
  ['${UNSET:-"a b"}', { skipUnsetEnv: true }, '${UNSET:-a b}'],
  ['${UNSET:x}', { skipUnsetEnv: true }, '${UNSET:x}'],
  ['${UNSET?must}', { skipUnsetEnv: true }, '${UNSET?must}'],
  ['${SET:-x} $EMPTY.', { skipUnsetEnv: true }, 'value .'],
  ['$$', { skipUnsetEnv: true }, '$$'],
  ['"$SET" \'x\'', { rawQuotes: true }, '"value" \'x\''],
  ['a"b"', { rawQuotes: true }, 'a"b"'],
  ['a\\ b', { rawEscapes: true }, 'a\\ b'],
  ['\\$SET', { rawEscapes: true }, '\\$SET'],
  ['x\\', { rawEscapes: true }, 'x\\'],
  ['"\\$SET"', { rawEscapes: true }, '\\$SET'],
  ['"\\a"', { rawEscapes: true }, '\\\\a'], // quirk: doubled
  ['"a\\"b"', { rawQuotes: true, rawEscapes: true }, '"a\\"b"'],
  ['${UNSET:-\\x}', { rawEscapes: true }, 'x'],
  ['"$SET"', { skipProcessQuotes: true }, '"value"'],
  ["'$SET'", { skipProcessQuotes: true }, "'value'"],
  ['\\"', { skipProcessQuotes: true }, '"'],
  ['"open', { skipProcessQuotes: true }, '"open'],
];

function expectedMessage(word: string, reason: string): string {
  return `failed to process ${goQuote(word)}: ${reason}`;
}

valueCases.forEach(([word, expected], index) => {
  test(`value #${index} ${JSON.stringify(word)}`, (t) => {
    t.is(expandWord(word, env).value, expected);
  });
});

backtickCases.forEach(([word, expected], index) => {
  test(`backtick escape #${index} ${JSON.stringify(word)}`, (t) => {
    t.is(expandWord(word, env, { escapeToken: '`' }).value, expected);
  });
});

errorCases.forEach(([word, reason, options], index) => {
  test(`error #${index} ${JSON.stringify(word)}`, (t) => {
    const message = expectedMessage(word, reason);
    t.throws(() => expandWord(word, env, options), { instanceOf: ExpansionError, message });
    t.throws(() => expandWords(word, env, options), { instanceOf: ExpansionError, message });
  });
});

wordsCases.forEach(([word, expected, options], index) => {
  test(`words #${index} ${JSON.stringify(word)}`, (t) => {
    t.deepEqual(expandWords(word, env, options), expected);
  });
});

optionCases.forEach(([word, options, expected], index) => {
  test(`options #${index} ${JSON.stringify(word)} ${JSON.stringify(options)}`, (t) => {
    t.is(expandWord(word, env, options).value, expected);
  });
});

test('the error is an ExpansionError with its name set', (t) => {
  const error = t.throws(() => expandWord('${UNSET?}', env), { instanceOf: ExpansionError });
  t.is(error?.name, 'ExpansionError');
});

test('matched and unmatched variables, as BuildKit lint sees them', (t) => {
  const sorted = (names: Set<string>) => [...names].sort();
  const check = (word: string, matched: string[], unmatched: string[], options?: LexOptions) => {
    const result = expandWord(word, env, options);
    t.deepEqual(sorted(result.matched), matched, word);
    t.deepEqual(sorted(result.unmatched), unmatched, word);
  };
  check('$SET ${UNSET:-x} ${EMPTY}', ['EMPTY', 'SET'], ['UNSET']);
  // The operator word is expanded even when the variable is set.
  check('${SET:-$OTHER}', ['SET'], ['OTHER']);
  check("'$QUIET' \\$ESCAPED", [], []);
  check('$$ $1 ${2}', [], ['$', '1', '2']);
  check('${UNSET//a/$FILE}', ['FILE'], ['UNSET']);
  check('$UNSET', [], ['UNSET'], { skipUnsetEnv: true });
  check('"${SET#v}"', ['SET'], []);
});

test('names are case-sensitive and any value of the map is used as is', (t) => {
  const mixed = new Map([
    ['Path', 'a'],
    ['PATH', 'b'],
  ]);
  t.is(expandWord('$Path:$PATH:$path', mixed).value, 'a:b:');
});

test('random words never throw anything but ExpansionError', (t) => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const pieces = [
    '$',
    '{',
    '}',
    ':',
    '-',
    '+',
    '?',
    '#',
    '%',
    '/',
    '*',
    '\\',
    '`',
    '"',
    "'",
    ' ',
    '\n',
    '<<',
    '[',
    ']',
    '.',
    '^',
    '(',
    'a',
    'SET',
    'STAR',
    'TRAILING',
    'DOLLARS',
    '0',
    'é',
    '😀',
    '\ufeff',
    '${',
    '${SET',
    '${UNSET',
  ];
  for (let i = 0; i < 5000; i++) {
    let word = '';
    for (let length = Math.floor(random() * 16); length > 0; length--) word += pick(pieces);
    const options: LexOptions = {
      escapeToken: random() < 0.5 ? '\\' : '`',
      rawQuotes: random() < 0.3,
      rawEscapes: random() < 0.3,
      skipUnsetEnv: random() < 0.3,
      skipProcessQuotes: random() < 0.2,
    };
    for (const expand of [expandWord, expandWords]) {
      try {
        expand(word, env, options);
      } catch (error) {
        if (!(error instanceof ExpansionError)) t.fail(`${JSON.stringify(word)}: ${String(error)}`);
      }
    }
  }
  t.pass();
});
