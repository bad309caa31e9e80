// Time and network functions of the bake stdlib: formatdate's format language (Terraform's:
// YYYY, MM, DD, hh, mm, ss, ZZZZZ, 'literal'…), formattimestamp (also from a unix time; "X" gives
// one), timeadd with Go durations, timestamp, unixtimestampparse, and the cidr* functions (IPv4 and IPv6).
import { isIP } from 'node:net';
import { fail, fn, int, num, str, type Fn } from './stdlib-args.js';
import type { Value } from './values.js';

const months = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** An RFC 3339 time with its offset: the wall clock in that offset, and the offset in minutes. */
interface Moment {
  /** The time shifted by the offset, read with getUTC*. */
  wall: Date;
  offset: number;
  utc: boolean;
}

function parseRfc3339(text: string): Moment {
  const match = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (!match) return fail(`not a valid RFC3339 timestamp: ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const offset = /z/i.test(zone)
    ? 0
    : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const wall = new Date(
    Date.UTC(
      Number(y),
      Number(mo) - 1,
      Number(d),
      Number(h),
      Number(mi),
      Number(s),
      fraction ? Math.floor(Number(fraction) * 1000) : 0,
    ),
  );
  return { wall, offset, utc: /z/i.test(zone) };
}

function rfc3339(moment: Moment): string {
  const w = moment.wall;
  const pad = (n: number, size = 2) => String(n).padStart(size, '0');
  const zone = moment.utc
    ? 'Z'
    : `${moment.offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(moment.offset) / 60))}:${pad(Math.abs(moment.offset) % 60)}`;
  return `${pad(w.getUTCFullYear(), 4)}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}T${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}:${pad(w.getUTCSeconds())}${zone}`;
}

function formatDate(format: string, moment: Moment): string {
  const w = moment.wall;
  const pad = (n: number, size = 2) => String(n).padStart(size, '0');
  const hours12 = w.getUTCHours() % 12 === 0 ? 12 : w.getUTCHours() % 12;
  const sign = moment.offset < 0 ? '-' : '+';
  const oh = pad(Math.floor(Math.abs(moment.offset) / 60));
  const om = pad(Math.abs(moment.offset) % 60);
  const tokens: Record<string, () => string> = {
    YYYY: () => pad(w.getUTCFullYear(), 4),
    YY: () => pad(w.getUTCFullYear() % 100),
    MMMM: () => months[w.getUTCMonth()],
    MMM: () => months[w.getUTCMonth()].slice(0, 3),
    MM: () => pad(w.getUTCMonth() + 1),
    M: () => String(w.getUTCMonth() + 1),
    DD: () => pad(w.getUTCDate()),
    D: () => String(w.getUTCDate()),
    EEEE: () => weekdays[w.getUTCDay()],
    EEE: () => weekdays[w.getUTCDay()].slice(0, 3),
    hh: () => pad(w.getUTCHours()),
    h: () => String(w.getUTCHours()),
    HH: () => pad(hours12),
    H: () => String(hours12),
    AA: () => (w.getUTCHours() < 12 ? 'AM' : 'PM'),
    aa: () => (w.getUTCHours() < 12 ? 'am' : 'pm'),
    mm: () => pad(w.getUTCMinutes()),
    m: () => String(w.getUTCMinutes()),
    ss: () => pad(w.getUTCSeconds()),
    s: () => String(w.getUTCSeconds()),
    ZZZZZ: () => `${sign}${oh}:${om}`,
    ZZZZ: () => `${sign}${oh}${om}`,
    ZZZ: () => (moment.utc ? 'UTC' : `${sign}${oh}${om}`),
    Z: () => (moment.utc ? 'Z' : `${sign}${oh}:${om}`),
  };
  let out = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c === "'") {
      const end = format.indexOf("'", i + 1);
      if (end < 0) fail('unterminated literal in the format');
      out += end === i + 1 ? "'" : format.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (/[a-zA-Z]/.test(c)) {
      let run = c;
      while (format[i + run.length] === c) run += c;
      const token = tokens[run];
      if (!token) fail(`invalid date format verb ${JSON.stringify(run)}`);
      out += token();
      i += run.length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function fromUnix(value: Value): Moment {
  const seconds = num(value, 'unix timestamp');
  if (!Number.isInteger(seconds)) fail('a unix timestamp must be a whole number of seconds');
  return { wall: new Date(seconds * 1000), offset: 0, utc: true };
}

/** Go's time.ParseDuration: `1h30m`, `-2.5s`, `300ms`. */
function parseDuration(text: string): number {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    μs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const match = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(text);
  if (!match && text !== '0') fail(`invalid duration ${JSON.stringify(text)}`);
  if (text === '0') return 0;
  let total = 0;
  for (const part of text.matchAll(/((?:\d+(?:\.\d*)?|\.\d+))(ns|us|µs|μs|ms|s|m|h)/g))
    total += Number(part[1]) * units[part[2]];
  return text.startsWith('-') ? -total : total;
}

function isoWeek(date: Date): [number, number] {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  return [d.getUTCFullYear(), Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7)];
}

// Network addresses as big integers, IPv4 in 32 bits and IPv6 in 128.

function parseAddress(text: string): { value: bigint; bits: number } {
  const family = isIP(text);
  if (family === 4)
    return { value: text.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n), bits: 32 };
  if (family !== 6) return fail(`invalid IP address ${JSON.stringify(text)}`);
  const [head, tail = ''] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = groups(tail);
  const all = text.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return { value: all.reduce((n, group) => (n << 16n) | BigInt(parseInt(group, 16)), 0n), bits: 128 };
}

function formatAddress(value: bigint, bits: number): string {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - i * 16)) & 0xffffn).toString(16));
  // The longest run of zero groups (two or more) becomes ::.
  let best = [-1, 0];
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best[1] && j - i > 1) best = [i, j - i];
    i = j;
  }
  if (best[0] < 0) return groups.join(':');
  return `${groups.slice(0, best[0]).join(':')}::${groups.slice(best[0] + best[1]).join(':')}`;
}

function parseCidr(text: string): { base: bigint; prefix: number; bits: number } {
  const [address, prefixText] = text.split('/');
  if (prefixText === undefined || !/^\d+$/.test(prefixText)) fail(`invalid CIDR address ${JSON.stringify(text)}`);
  const { value, bits } = parseAddress(address);
  const prefix = Number(prefixText);
  if (prefix > bits) fail(`invalid CIDR prefix length ${prefix}`);
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { base: value & mask, prefix, bits };
}

function subnet(prefix: string, newbits: number, netnum: number): string {
  const net = parseCidr(prefix);
  const length = net.prefix + newbits;
  if (newbits < 0 || length > net.bits) fail(`cannot extend prefix /${net.prefix} by ${newbits} bits`);
  if (netnum < 0 || BigInt(netnum) >= 1n << BigInt(newbits))
    fail(`prefix extension of ${newbits} bits has no network number ${netnum}`);
  const base = net.base | (BigInt(netnum) << BigInt(net.bits - length));
  return `${formatAddress(base, net.bits)}/${length}`;
}

export const timeFunctions: Record<string, Fn> = {
  formatdate: fn('formatdate', ['format', 'time'], ([format, time]) =>
    formatDate(str(format), parseRfc3339(str(time))),
  ),
  formattimestamp: fn('formattimestamp', ['format', 'time'], ([format, time]) => {
    const moment = typeof time === 'number' ? fromUnix(time) : parseRfc3339(str(time, 'time'));
    if (str(format) === 'X') return String(Math.floor((moment.wall.getTime() - moment.offset * 60_000) / 1000));
    return formatDate(str(format), moment);
  }),
  timestamp: fn('timestamp', [], () =>
    rfc3339({ wall: new Date(Math.floor(Date.now() / 1000) * 1000), offset: 0, utc: true }),
  ),
  timeadd: fn('timeadd', ['timestamp', 'duration'], ([time, duration]) => {
    const moment = parseRfc3339(str(time));
    return rfc3339({ ...moment, wall: new Date(moment.wall.getTime() + parseDuration(str(duration))) });
  }),
  unixtimestampparse: fn('unixtimestampparse', ['unix_timestamp'], ([time]) => {
    const { wall } = fromUnix(time);
    const [isoYear, week] = isoWeek(wall);
    const start = Date.UTC(wall.getUTCFullYear(), 0, 1);
    return {
      year: wall.getUTCFullYear(),
      year_day: Math.floor((wall.getTime() - start) / 86_400_000) + 1,
      day: wall.getUTCDate(),
      month: wall.getUTCMonth() + 1,
      month_name: months[wall.getUTCMonth()],
      weekday: wall.getUTCDay(),
      weekday_name: weekdays[wall.getUTCDay()],
      hour: wall.getUTCHours(),
      minute: wall.getUTCMinutes(),
      second: wall.getUTCSeconds(),
      rfc3339: rfc3339({ wall, offset: 0, utc: true }),
      iso_year: isoYear,
      iso_week: week,
    };
  }),
  cidrhost: fn('cidrhost', ['prefix', 'hostnum'], ([prefix, hostnum]) => {
    const net = parseCidr(str(prefix));
    const size = 1n << BigInt(net.bits - net.prefix);
    let n = BigInt(int(hostnum, 'hostnum'));
    if (n < 0n) n += size;
    if (n < 0n || n >= size) fail(`prefix of ${net.prefix} bits has no host number ${hostnum}`);
    return formatAddress(net.base + n, net.bits);
  }),
  cidrnetmask: fn('cidrnetmask', ['prefix'], ([prefix]) => {
    const net = parseCidr(str(prefix));
    if (net.bits !== 32) fail('only IPv4 prefixes have a netmask');
    return formatAddress(((1n << 32n) - 1n) ^ ((1n << BigInt(32 - net.prefix)) - 1n), 32);
  }),
  cidrsubnet: fn('cidrsubnet', ['prefix', 'newbits', 'netnum'], ([prefix, newbits, netnum]) =>
    subnet(str(prefix), int(newbits, 'newbits'), int(netnum, 'netnum')),
  ),
  cidrsubnets: fn('cidrsubnets', ['prefix', '...newbits'], ([prefix, ...newbits]) => {
    const net = parseCidr(str(prefix));
    let next = net.base;
    return newbits.map((value) => {
      const bits = int(value, 'newbits');
      const length = net.prefix + bits;
      if (bits < 1 || length > net.bits) fail(`cannot extend prefix /${net.prefix} by ${bits} bits`);
      const step = 1n << BigInt(net.bits - length);
      next = ((next + step - 1n) / step) * step;
      const start = next;
      next += step;
      if (next - net.base > 1n << BigInt(net.bits - net.prefix))
        fail('not enough remaining address space for the subnets');
      return `${formatAddress(start, net.bits)}/${length}`;
    });
  }),
};
