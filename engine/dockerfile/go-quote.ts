// Go's strconv.Quote and fmt's %q/%v for string slices: BuildKit prints AST dumps and history
// entries with them, and msbuild must print the same bytes.

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

const namedEscapes: Readonly<Record<string, string>> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"',
};

/** strconv.Quote: a double-quoted Go string literal; printable Unicode is kept as is. */
export function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const named = namedEscapes[char];
    if (named !== undefined) out += named;
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd'; // a lone surrogate is invalid UTF-8 to Go
    else if (printable.test(char)) out += char;
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
