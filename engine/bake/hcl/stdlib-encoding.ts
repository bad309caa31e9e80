// Encoding, hashing and identity functions of the bake stdlib: base64, JSON, CSV, URL encoding,
// md5/sha*, UUIDs (v4 random, v5 by namespace), paths, the home directory, semantic version checks.
import { createHash, randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { posix } from 'node:path';
import { csvFields } from '../../util/csv.js';
import { fail, fn, str, type Fn } from './stdlib-args.js';
import { formatNumber, plain, type Value } from './values.js';

/** JSON as cty's jsonencode writes it: numbers without exponents, keys sorted, <>& escaped. */
function jsonEncode(value: Value): string {
  const data = plain(value);
  const encode = (item: Value): string => {
    if (item === null) return 'null';
    if (typeof item === 'number') return formatNumber(item);
    if (typeof item === 'string' || typeof item === 'boolean') return JSON.stringify(item);
    if (Array.isArray(item)) return `[${item.map(encode).join(',')}]`;
    const object = item as Record<string, Value>;
    return `{${Object.keys(object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${encode(object[key])}`)
      .join(',')}}`;
  };
  return encode(data).replace(/[<>&]/g, (char) => `\\u00${char.charCodeAt(0).toString(16)}`);
}

/** RFC 4180 records; the first row names the attributes of each object. */
function csvDecode(text: string): Value {
  const lines = text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  if (lines.length === 0 || lines[0] === '') fail('missing header line');
  const header = csvFields(lines[0]);
  return lines.slice(1).map((line, i) => {
    const fields = csvFields(line);
    if (fields.length !== header.length)
      fail(`record ${i + 1} has ${fields.length} fields, the header ${header.length}`);
    return Object.fromEntries(header.map((name, j) => [name, fields[j]]));
  });
}

/** A version satisfies a Masterminds/semver constraint: `>= 1.2, < 2`, `~1.2`, `^1.2`, `1.2.x`, `||`. */
function semverCheck(version: string, constraint: string): boolean {
  const parse = (text: string) => {
    const match = /^v?(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(
      text.trim(),
    );
    if (!match) return fail(`invalid semantic version ${JSON.stringify(text)}`);
    const part = (value: string | undefined) =>
      value === undefined || /[xX*]/.test(value) ? undefined : Number(value);
    return { major: Number(match[1]), minor: part(match[2]), patch: part(match[3]), pre: match[4] };
  };
  const v = parse(version);
  const cmp = (a: number[], b: number[]) => a.reduce((result, x, i) => result || Math.sign(x - b[i]), 0);
  const full = [v.major, v.minor ?? 0, v.patch ?? 0];
  const satisfies = (clause: string): boolean => {
    const match = /^(>=|<=|!=|=|>|<|~>|~|\^)?\s*(.+)$/.exec(clause.trim());
    if (!match) return fail(`invalid constraint ${JSON.stringify(clause)}`);
    const op = match[1] ?? '=';
    const c = parse(match[2]);
    const base = [c.major, c.minor ?? 0, c.patch ?? 0];
    // A pre-release satisfies only a constraint that names a pre-release (Masterminds' rule).
    if (v.pre !== undefined && c.pre === undefined) return false;
    const order =
      cmp(full, base) ||
      (v.pre === c.pre ? 0 : v.pre === undefined ? 1 : c.pre === undefined ? -1 : v.pre < c.pre ? -1 : 1);
    switch (op) {
      case '=':
        if (c.minor === undefined) return v.major === c.major;
        if (c.patch === undefined) return v.major === c.major && full[1] === c.minor;
        return order === 0;
      case '!=':
        return order !== 0;
      case '>':
        return order > 0;
      case '<':
        return order < 0;
      case '>=':
        return order >= 0;
      case '<=':
        return order <= 0;
      case '~':
      case '~>':
        return order >= 0 && (c.minor === undefined ? v.major === c.major : v.major === c.major && full[1] === c.minor);
      default:
        // ^: the same major (or the same minor under 1.0).
        return order >= 0 && (c.major > 0 ? v.major === c.major : full[1] === (c.minor ?? 0));
    }
  };
  return constraint.split('||').some((alternative) =>
    alternative
      .split(/,|\s+(?=[<>=!~^])/)
      .filter((clause) => clause.trim() !== '')
      .every(satisfies),
  );
}

function uuidV5(namespace: string, name: string): string {
  const known: Record<string, string> = {
    dns: '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
    url: '6ba7b811-9dad-11d1-80b4-00c04fd430c8',
    oid: '6ba7b812-9dad-11d1-80b4-00c04fd430c8',
    x500: '6ba7b814-9dad-11d1-80b4-00c04fd430c8',
  };
  const space = known[namespace] ?? namespace;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(space))
    fail('uuidv5 namespace must be dns, url, oid, x500 or a UUID');
  const hash = createHash('sha1')
    .update(Buffer.from(space.replace(/-/g, ''), 'hex'))
    .update(name)
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const hash = (algorithm: string) => fn(algorithm, ['str'], ([s]) => createHash(algorithm).update(str(s)).digest('hex'));

const unsupported = (name: string, why: string) =>
  fn(name, ['...args'], () => fail(`${name} is not supported by msbuild: ${why}`));

export const encodingFunctions: Record<string, Fn> = {
  base64encode: fn('base64encode', ['str'], ([s]) => Buffer.from(str(s)).toString('base64')),
  base64decode: fn('base64decode', ['str'], ([s]) => {
    const text = str(s);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) fail('the string is not valid base64');
    const decoded = Buffer.from(text, 'base64');
    if (!decoded.equals(Buffer.from(decoded.toString('utf8')))) fail('the decoded bytes are not valid UTF-8');
    return decoded.toString('utf8');
  }),
  jsonencode: fn('jsonencode', ['val'], ([value]) => jsonEncode(value)),
  jsondecode: fn('jsondecode', ['str'], ([s]) => {
    try {
      return JSON.parse(str(s)) as Value;
    } catch (error) {
      return fail(`invalid JSON: ${(error as Error).message}`);
    }
  }),
  csvdecode: fn('csvdecode', ['str'], ([s]) => csvDecode(str(s))),
  urlencode: fn('urlencode', ['str'], ([s]) =>
    encodeURIComponent(str(s))
      .replace(/%20/g, '+')
      .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .replace(/%7E/g, '~'),
  ),
  md5: hash('md5'),
  sha1: hash('sha1'),
  sha256: hash('sha256'),
  sha512: hash('sha512'),
  uuidv4: fn('uuidv4', [], () => randomUUID()),
  uuidv5: fn('uuidv5', ['namespace', 'name'], ([namespace, name]) => uuidV5(str(namespace), str(name))),
  basename: fn('basename', ['path'], ([p]) => posix.basename(str(p)) || (str(p).startsWith('/') ? '/' : '.')),
  dirname: fn('dirname', ['path'], ([p]) => posix.dirname(str(p))),
  homedir: fn('homedir', [], () => homedir()),
  semvercmp: fn('semvercmp', ['version', 'constraint'], ([version, constraint]) =>
    semverCheck(str(version), str(constraint)),
  ),
  bcrypt: unsupported('bcrypt', 'a bake file has no use for a salted password hash in a build'),
  rsadecrypt: unsupported('rsadecrypt', 'pass secrets with --secret instead'),
};
