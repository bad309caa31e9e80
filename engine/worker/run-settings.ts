// Settings of RUN containers as users write them, read as docker's CLI reads them: byte sizes
// (`512m`, units.RAMInBytes), `--add-host host=ip`, `--ulimit nofile=1024:2048`, buildx's
// `--resource memory=2g`. Shared by the command line and bake files; each bad value is one error.
// The results are the worker-neutral limits of a ContainerSpec.
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import type { ResourceLimits, Ulimit } from './container-spec.js';

/** A setting written wrong: the user's input, printed plainly. */
export class SettingError extends UsageError {
  override readonly name: string = 'SettingError';
  override readonly code: string = 'MSBUILD_SETTING';
}

const multipliers: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** `512m`, `2g`, `1.5GB`, `100000` (1024-based, as docker's units.RAMInBytes). */
export function parseByteSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const multiplier = match ? multipliers[match[2].toLowerCase()] : undefined;
  if (!match || multiplier === undefined)
    throw new SettingError(`invalid size ${JSON.stringify(text)}: use e.g. 512m, 2g or 10GB`);
  return Math.floor(Number(match[1]) * multiplier);
}

/** `--memory-swap`: a size, or -1 for unlimited swap. */
export function parseMemorySwap(text: string): number {
  return text.trim() === '-1' ? -1 : parseByteSize(text);
}

/** `host=ip` or `host:ip` (an IPv6 address may be in brackets; `host-gateway` is the host) → `host:ip` for the API. */
export function parseExtraHost(text: string): string {
  let separator = text.indexOf('=');
  if (separator < 0) separator = text.indexOf(':');
  const host = separator < 0 ? '' : text.slice(0, separator);
  let ip = separator < 0 ? '' : text.slice(separator + 1);
  if (host === '' || host.includes(':')) throw new SettingError(`bad format for add-host: ${JSON.stringify(text)}`);
  if (ip !== 'host-gateway') {
    if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (isIP(ip) === 0) throw new SettingError(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  }
  return `${host}:${ip}`;
}

const ulimitNames = new Set([
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);

/** `nofile=1024[:2048]`, as docker's units.ParseUlimit: the hard limit defaults to the soft one. */
export function parseUlimit(text: string): Ulimit {
  const equals = text.indexOf('=');
  const name = equals < 0 ? '' : text.slice(0, equals);
  if (equals < 0) throw new SettingError(`invalid ulimit argument: ${JSON.stringify(text)}`);
  if (!ulimitNames.has(name)) throw new SettingError(`invalid ulimit type: ${name}`);
  const limits = text.slice(equals + 1).split(':');
  if (limits.length > 2)
    throw new SettingError(
      `too many limit value arguments - ${text.slice(equals + 1)}, can only have up to two, \`soft[:hard]\``,
    );
  const values = limits.map((limit) => {
    if (!/^-?\d+$/.test(limit)) throw new SettingError(`invalid ulimit value ${JSON.stringify(limit)} in ${text}`);
    return Number(limit);
  });
  const soft = values[0];
  const hard = values[1] ?? soft;
  if (soft > hard && hard !== -1)
    throw new SettingError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { name, soft, hard };
}

function integer(key: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new SettingError(`invalid value ${value} for int64 key resources.${key}`);
  return Number(value);
}

/** buildx's `--resource` / bake `resources`: `memory=2g`, `cpu-quota=50000`, … */
export function parseResource(key: string, value: string): Partial<ResourceLimits> {
  switch (key) {
    case 'memory':
      return { memory: parseByteSize(value) };
    case 'memory-swap':
      return { memorySwap: parseMemorySwap(value) };
    case 'cpu-shares':
      return { cpuShares: integer(key, value) };
    case 'cpu-period':
      return { cpuPeriod: integer(key, value) };
    case 'cpu-quota':
      return { cpuQuota: integer(key, value) };
    case 'cpuset-cpus':
      return { cpusetCpus: value };
    case 'cpuset-mems':
      return { cpusetMems: value };
    default:
      throw new SettingError(
        `unknown resources key ${key}: use memory, memory-swap, cpu-shares, cpu-period, cpu-quota, cpuset-cpus or cpuset-mems`,
      );
  }
}

/** `key=value` of `--resource`. */
export function parseResourceFlag(text: string): Partial<ResourceLimits> {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new SettingError(`invalid --resource ${JSON.stringify(text)}: expected key=value`);
  return parseResource(text.slice(0, equals).trim().toLowerCase(), text.slice(equals + 1));
}
