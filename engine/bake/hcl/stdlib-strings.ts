// String functions of the bake stdlib (go-cty stdlib's): case, trimming, splitting, replacing,
// regular expressions (RE2 syntax read as JavaScript's), Go's printf verbs for format/formatlist.
import { fail, fn, graphemes, int, list, num, str, type Fn } from './stdlib-args.js';
import { formatNumber, isObject, plain, typeName, type Value } from './values.js';

/** An RE2 pattern as a JavaScript one: named groups `(?P<n>…)`, and no lookaround (RE2 has none). */
function regexOf(pattern: string, flags = ''): RegExp {
  try {
    return new RegExp(pattern.replace(/\(\?P</g, '(?<'), `u${flags}`);
  } catch (error) {
    return fail(`invalid regular expression: ${(error as Error).message}`);
  }
}

/** regex's result: the match, the list of groups, or the object of named groups. */
function matchValue(match: RegExpExecArray, pattern: RegExp): Value {
  if (match.groups) return { ...match.groups } as Record<string, Value>;
  const groups = pattern.source.match(/(?<!\\)\((?!\?)/g)?.length ?? 0;
  return groups === 0 ? match[0] : match.slice(1).map((group) => group ?? '');
}

/** Go's %q of a string. */
function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\u007f/g, '\\x7f');
}

/** One verb of Go's fmt as cty's format implements it. */
function formatVerb(
  spec: { verb: string; flags: string; width: number | undefined; precision: number | undefined },
  arg: Value,
): string {
  const { verb, flags, width, precision } = spec;
  let text: string;
  const value = plain(arg);
  switch (verb) {
    case 'v':
      text =
        typeof value === 'string'
          ? value
          : typeof value === 'number'
            ? formatNumber(value)
            : value === null
              ? 'null'
              : typeof value === 'boolean'
                ? String(value)
                : JSON.stringify(value);
      if (flags.includes('#')) text = JSON.stringify(value);
      break;
    case 's':
      text = str(value);
      if (precision !== undefined) text = graphemes(text).slice(0, precision).join('');
      break;
    case 'q':
      text = goQuote(str(value));
      break;
    case 't':
      if (typeof value !== 'boolean') fail(`%t requires a bool, not ${typeName(value)}`);
      text = String(value);
      break;
    case 'd':
      text = Math.trunc(num(value)).toString();
      break;
    case 'b':
      text = Math.trunc(num(value)).toString(2);
      break;
    case 'o':
      text = Math.trunc(num(value)).toString(8);
      break;
    case 'x':
    case 'X':
      text = typeof value === 'string' ? Buffer.from(value).toString('hex') : Math.trunc(num(value)).toString(16);
      if (verb === 'X') text = text.toUpperCase();
      break;
    case 'e':
    case 'E':
      text = num(value)
        .toExponential(precision ?? 6)
        .replace(/e([+-])(\d)$/, 'e$10$2');
      if (verb === 'E') text = text.toUpperCase();
      break;
    case 'f':
    case 'F':
      text = num(value).toFixed(precision ?? 6);
      break;
    case 'g':
    case 'G':
      text = precision !== undefined ? String(Number(num(value).toPrecision(precision))) : formatNumber(num(value));
      break;
    default:
      return fail(`unsupported format verb %${verb}`);
  }
  if (flags.includes('+') && /^[dfeEgG]$/.test(verb) && !text.startsWith('-')) text = `+${text}`;
  if (width !== undefined && graphemes(text).length < width) {
    const pad = width - graphemes(text).length;
    if (flags.includes('-')) text += ' '.repeat(pad);
    else if (flags.includes('0') && /^[dfeEgGxXbo]$/.test(verb)) {
      const sign = /^[+-]/.test(text) ? text[0] : '';
      text = sign + '0'.repeat(pad) + text.slice(sign.length);
    } else text = ' '.repeat(pad) + text;
  }
  return text;
}

/** cty's format: `%[flags][width][.precision]verb`, `%[n]verb` for an argument by position, `%%`. */
export function formatString(format: string, args: Value[]): string {
  let next = 0;
  return format.replace(
    /%(?:\[(\d+)\])?([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g,
    (
      _,
      index: string | undefined,
      flags: string,
      width: string | undefined,
      precision: string | undefined,
      verb: string,
    ) => {
      if (verb === '%') return '%';
      if (index !== undefined) next = Number(index) - 1;
      if (next >= args.length) fail(`not enough arguments for format ${JSON.stringify(format)}`);
      const arg = args[next++];
      if (arg === null) fail('null value cannot be formatted');
      return formatVerb(
        {
          verb,
          flags,
          width: width !== undefined ? Number(width) : undefined,
          precision: precision !== undefined ? Number(precision) : undefined,
        },
        arg,
      );
    },
  );
}

/** cty's title: the first letter after each non-letter, non-digit character in upper case. */
function title(text: string): string {
  let previousIsWordChar = false;
  let result = '';
  for (const char of text) {
    const wordChar = /[\p{L}\p{N}]/u.test(char);
    result += wordChar && !previousIsWordChar ? char.toUpperCase() : char;
    previousIsWordChar = wordChar;
  }
  return result;
}

export const stringFunctions: Record<string, Fn> = {
  upper: fn('upper', ['str'], ([s]) => str(s).toUpperCase()),
  lower: fn('lower', ['str'], ([s]) => str(s).toLowerCase()),
  title: fn('title', ['str'], ([s]) => title(str(s))),
  reverse: fn('reverse', ['str'], ([s]) => graphemes(str(s)).reverse().join('')),
  strlen: fn('strlen', ['str'], ([s]) => graphemes(str(s)).length),
  substr: fn('substr', ['str', 'offset', 'length'], ([s, offset, length]) => {
    const chars = graphemes(str(s));
    let start = int(offset, 'offset');
    let count = int(length, 'length');
    if (start < 0) start = Math.max(0, chars.length + start);
    if (start > chars.length) fail('offset is past the end of the string');
    if (count < 0) count = chars.length - start;
    return chars.slice(start, start + count).join('');
  }),
  trim: fn('trim', ['str', 'cutset'], ([s, cutset]) => {
    const cut = new Set([...str(cutset)]);
    const chars = [...str(s)];
    let start = 0;
    let end = chars.length;
    while (start < end && cut.has(chars[start])) start++;
    while (end > start && cut.has(chars[end - 1])) end--;
    return chars.slice(start, end).join('');
  }),
  trimprefix: fn('trimprefix', ['str', 'prefix'], ([s, p]) =>
    str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s),
  ),
  trimsuffix: fn('trimsuffix', ['str', 'suffix'], ([s, x]) =>
    str(x) !== '' && str(s).endsWith(str(x)) ? str(s).slice(0, -str(x).length) : str(s),
  ),
  trimspace: fn('trimspace', ['str'], ([s]) => str(s).trim()),
  chomp: fn('chomp', ['str'], ([s]) => str(s).replace(/(\r\n|\n|\r)+$/, '')),
  indent: fn('indent', ['spaces', 'str'], ([spaces, s]) =>
    str(s).replace(/\n/g, `\n${' '.repeat(int(spaces, 'spaces'))}`),
  ),
  split: fn('split', ['separator', 'str'], ([sep, s]) => str(s).split(str(sep))),
  join: fn('join', ['separator', '...lists'], ([sep, ...lists]) => {
    if (lists.length === 0) fail('at least one list is required');
    return lists.flatMap((item) => list(item).map((element) => str(element, 'list element'))).join(str(sep));
  }),
  replace: fn('replace', ['str', 'substr', 'replace'], ([s, from, to]) => {
    const pattern = str(from);
    // A pattern in slashes is a regular expression, as in cty (and Terraform).
    if (pattern.length > 1 && pattern.startsWith('/') && pattern.endsWith('/'))
      return str(s).replace(regexOf(pattern.slice(1, -1), 'g'), str(to).replace(/\$(\d+)/g, '$$$1'));
    return str(s).split(pattern).join(str(to));
  }),
  regex_replace: fn('regex_replace', ['str', 'pattern', 'replace'], ([s, pattern, to]) =>
    str(s).replace(regexOf(str(pattern), 'g'), str(to).replace(/\$\{(\w+)\}/g, '$<$1>')),
  ),
  regex: fn('regex', ['pattern', 'str'], ([pattern, s]) => {
    const re = regexOf(str(pattern));
    const match = re.exec(str(s));
    if (!match) fail('pattern did not match any part of the given string');
    return matchValue(match, re);
  }),
  regexall: fn('regexall', ['pattern', 'str'], ([pattern, s]) => {
    const re = regexOf(str(pattern), 'g');
    return [...str(s).matchAll(re)].map((match) => matchValue(match, re));
  }),
  format: fn('format', ['format', '...args'], ([format, ...args]) => formatString(str(format), args)),
  formatlist: fn('formatlist', ['format', '...args'], ([format, ...args]) => {
    const lengths = args.filter(Array.isArray).map((item) => (item as Value[]).length);
    if (new Set(lengths).size > 1) fail('all lists given to formatlist must have the same length');
    const count = lengths[0] ?? 1;
    return Array.from({ length: count }, (_, i) =>
      formatString(
        str(format),
        args.map((arg) =>
          Array.isArray(arg) ? arg[i] : isObject(arg) ? fail('formatlist takes strings and lists') : arg,
        ),
      ),
    );
  }),
  sanitize: fn('sanitize', ['name'], ([s]) => str(s).replace(/[^a-zA-Z0-9_-]/gu, '_')),
  byteslen: fn('byteslen', ['buf'], ([s]) => Buffer.byteLength(str(s))),
  bytesslice: fn('bytesslice', ['buf', 'offset', 'length'], ([s, offset, length]) => {
    const bytes = Buffer.from(str(s));
    const start = int(offset, 'offset');
    const count = int(length, 'length');
    if (start < 0 || start + count > bytes.length) fail('offset and length are outside the buffer');
    return bytes.subarray(start, start + count).toString();
  }),
};
