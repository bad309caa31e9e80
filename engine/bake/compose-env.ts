// Compose's variables: `${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
// `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}` and `$$` in every string of a compose file (defaults may
// nest), and `.env` files (`KEY=value`, `export KEY=…`, quotes, comments, `${}` in values) read as
// compose-go's dotenv reads them. These rules are compose's, not the Dockerfile's shell lexer's.
import { BakeError } from './errors.js';

export type Lookup = (name: string) => string | undefined;

const nameChars = /[A-Za-z0-9_]/;

/** Interpolates one string; `where` names it in errors. */
export function interpolate(text: string, lookup: Lookup, where = ''): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(text, i + 2);
      if (end < 0)
        throw new BakeError(`${where}invalid interpolation format for ${JSON.stringify(text)}: a \${ is not closed`);
      out += substitute(text.slice(i + 2, end), lookup, where, text);
      i = end + 1;
      continue;
    }
    if (next !== undefined && /[A-Za-z_]/.test(next)) {
      let name = '';
      let j = i + 1;
      while (j < text.length && nameChars.test(text[j])) name += text[j++];
      out += lookup(name) ?? '';
      i = j;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** The index of the brace closing the one before `start` (nested `${…}` in defaults counted). */
function closingBrace(text: string, start: number): number {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function substitute(inner: string, lookup: Lookup, where: string, whole: string): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(inner);
  if (!match) throw new BakeError(`${where}invalid interpolation format for ${JSON.stringify(whole)}: \${${inner}}`);
  const [, name, op, rest = ''] = match;
  const value = lookup(name);
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (op) {
    case undefined:
      return value ?? '';
    case ':-':
      return nonEmpty ? (value as string) : interpolate(rest, lookup, where);
    case '-':
      return set ? (value as string) : interpolate(rest, lookup, where);
    case ':?':
    case '?':
      if (op === ':?' ? nonEmpty : set) return value as string;
      throw new BakeError(
        `${where}required variable ${name} is missing a value${rest ? `: ${interpolate(rest, lookup, where)}` : ''}`,
      );
    case ':+':
      return nonEmpty ? interpolate(rest, lookup, where) : '';
    default:
      return set ? interpolate(rest, lookup, where) : '';
  }
}

/** Every string of a YAML document interpolated (keys stay as written). */
export function interpolateDocument(value: unknown, lookup: Lookup, where = ''): unknown {
  if (typeof value === 'string') return interpolate(value, lookup, where);
  if (Array.isArray(value)) return value.map((item) => interpolateDocument(item, lookup, where));
  if (value !== null && typeof value === 'object' && !(value instanceof Date))
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateDocument(item, lookup, where)]),
    );
  return value;
}

/** A `.env` file's variables; `${VAR}` in values reads earlier lines, then `lookup`. */
export function parseDotEnv(text: string, lookup: Lookup = () => undefined, file = '.env'): Map<string, string> {
  const values = new Map<string, string>();
  const scoped: Lookup = (name) => values.get(name) ?? lookup(name);
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let index = 0; index < lines.length; index++) {
    let line = lines[index].trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const separator = line.search(/[=:]/);
    const key = (separator < 0 ? line : line.slice(0, separator)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key))
      throw new BakeError(`${file}:${index + 1}: invalid variable name ${JSON.stringify(key)}`);
    if (separator < 0) {
      // A name alone takes its value from the environment, if it has one.
      const inherited = lookup(key);
      if (inherited !== undefined) values.set(key, inherited);
      continue;
    }
    let rest = line.slice(separator + 1).trimStart();
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may span lines, up to the closing quote.
      let body = rest.slice(1);
      while (!new RegExp(`(^|[^\\\\])${quote}`).test(body) && index + 1 < lines.length) body += `\n${lines[++index]}`;
      const end = quote === '"' ? body.search(/(?<!\\)"/) : body.indexOf("'");
      if (end < 0) throw new BakeError(`${file}:${index + 1}: unterminated quoted value of ${key}`);
      let value = body.slice(0, end);
      if (quote === '"') {
        value = value.replace(/\\([nrt"\\$])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
        value = interpolate(value, scoped, `${file}:${index + 1}: `);
      }
      values.set(key, value);
      continue;
    }
    // An unquoted value ends at a comment (` #`).
    const comment = rest.search(/\s#/);
    if (comment >= 0) rest = rest.slice(0, comment);
    values.set(key, interpolate(rest.trim(), scoped, `${file}:${index + 1}: `));
  }
  return values;
}
