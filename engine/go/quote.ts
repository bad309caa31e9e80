// Go's strconv.Quote and fmt's %q/%v for string slices: BuildKit prints AST dumps and history
// entries with them, and msbuild must print the same bytes.

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/**
 * Printable characters Unicode assigned after 15.0, the version of Go's tables (Go 1.21 on): Node's
 * ICU knows them, Go does not, so strconv.Quote escapes them and unicode.ToLower leaves them alone.
 */
const newerThanGoUnicode: readonly number[] = (
  '88f 897 c5c cdc 1acf-1add 1ae0-1aeb 1b4e-1b4f 1b7f 1c89-1c8a 20c1 2427-2429 2b96 2ffc-2fff ' +
  '31e4-31e5 31ef a7cb-a7cf a7d2 a7d4 a7da-a7dc a7f1 fbc3-fbd2 fd90-fd91 fdc8-fdce 105c0-105f3 ' +
  '10940-10959 10d40-10d65 10d69-10d85 10d8e-10d8f 10ec2-10ec7 10ed0-10ed8 10efa-10efc 11380-11389 ' +
  '1138b 1138e 11390-113b5 113b7-113c0 113c2 113c5 113c7-113ca 113cc-113d5 113d7-113d8 113e1-113e2 ' +
  '116d0-116e3 11b60-11b67 11bc0-11be1 11bf0-11bf9 11db0-11ddb 11de0-11de9 11f5a 13460-143fa ' +
  '16100-16139 16d40-16d79 16ea0-16eb8 16ebb-16ed3 16ff2-16ff6 187f8-187ff 18cff 18d09-18d1e ' +
  '18d80-18df2 1cc00-1ccfc 1cd00-1ceb3 1ceba-1ced0 1cee0-1cef0 1e5d0-1e5fa 1e5ff 1e6c0-1e6de ' +
  '1e6e0-1e6f5 1e6fe-1e6ff 1f6d8 1f777-1f77a 1f8b2-1f8bb 1f8c0-1f8c1 1f8d0-1f8d8 1fa54-1fa57 ' +
  '1fa89-1fa8a 1fa8e-1fa8f 1fabe 1fac6 1fac8 1facd 1fadc 1fadf 1fae9-1faea 1faef 1fbcb-1fbef 1fbfa ' +
  '2b73a-2b73f 2cea2-2cead 2ebf0-2ee5d 323b0-33479'
)
  .split(' ')
  .flatMap((range) => {
    const [first, last = first] = range.split('-');
    return [Number.parseInt(first, 16), Number.parseInt(last, 16)];
  });

/** Whether Go's Unicode 15.0 tables do not know code point `code` (pairs of first and last, sorted). */
export function newerThanGo(code: number): boolean {
  if (code < 0x88f) return false;
  let low = 0;
  let high = newerThanGoUnicode.length / 2 - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (code < newerThanGoUnicode[2 * middle]) high = middle - 1;
    else if (code > newerThanGoUnicode[2 * middle + 1]) low = middle + 1;
    else return true;
  }
  return false;
}

/**
 * A byte of a Go string that is not valid UTF-8 (BuildKit's byte loops can cut a character) is kept
 * as U+DC00 plus the byte, the way Python's surrogateescape does; nothing else makes lone surrogates.
 */
export function isStrayByte(code: number): boolean {
  return code >= 0xdc80 && code <= 0xdcff;
}

const plainAscii = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const namedEscapes: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
  '"': '\\"',
};

/** strconv.Quote: a double-quoted Go string literal; printable Unicode is kept as is. */
export function goQuote(text: string): string {
  // Most text is printable ASCII with nothing to escape: no need to compile the Unicode class above.
  if (plainAscii.test(text)) return `"${text}"`;
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const named = namedEscapes[char];
    if (named !== undefined) out += named;
    else if (isStrayByte(code)) out += `\\x${(code - 0xdc00).toString(16)}`;
    else if (code >= 0xd800 && code <= 0xdfff)
      out += '\\ufffd'; // a lone surrogate is invalid UTF-8 to Go
    else if (printable.test(char) && !newerThanGo(code)) out += char;
    else if (code < 0x80) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** fmt.Sprintf("%q", []string{...}): `["a" "b"]`. */
export function goQuoteList(items: readonly string[]): string {
  return `[${items.map(goQuote).join(' ')}]`;
}

/** fmt.Sprintf("%v", []string{...}): `[a b]`. */
export function goList(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** time.Duration.String() for nanoseconds: `1m30s`, `500ms`, `0s`. */
export function goDuration(nanoseconds: number): string {
  if (nanoseconds === 0) return '0s';
  const sign = nanoseconds < 0 ? '-' : '';
  let n = Math.abs(nanoseconds);
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${trimFraction(n / 1e3)}µs`;
  if (n < 1e9) return `${sign}${trimFraction(n / 1e6)}ms`;
  let out = '';
  const hours = Math.floor(n / 3600e9);
  n -= hours * 3600e9;
  const minutes = Math.floor(n / 60e9);
  n -= minutes * 60e9;
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${sign}${out}${trimFraction(n / 1e9)}s`;
}

function trimFraction(value: number): string {
  return value.toFixed(9).replace(/\.?0+$/, '');
}
