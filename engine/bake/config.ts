// Bake files: targets, groups and inheritance from `msbuild.yaml` (or the `build:` sections of a
// compose file), `--set` overrides, and the resolved list of builds. Unknown keys are errors with
// the line they are on.
import { resolve } from 'node:path';
import yaml from 'js-yaml';

export interface BakeTarget {
  name: string;
  context: string;
  dockerfile?: string;
  target?: string;
  args: Record<string, string>;
  labels: Record<string, string>;
  tags: string[];
  noCache: boolean;
  outputs: string[];
  cacheFrom: string[];
  cacheTo?: string;
  platform?: string;
  network?: 'default' | 'none' | 'host';
  pull?: 'always' | 'missing' | 'never';
}

export class BakeError extends Error {
  override readonly name = 'BakeError';
}

interface RawTarget {
  inherits?: string[];
  context?: string;
  dockerfile?: string;
  target?: string;
  args?: Record<string, string>;
  labels?: Record<string, string>;
  tags?: string[];
  'no-cache'?: boolean;
  outputs?: string[];
  'cache-from'?: string[];
  'cache-to'?: string;
  platform?: string;
  network?: string;
  pull?: string;
}

const targetKeys = new Set(['inherits', 'context', 'dockerfile', 'target', 'args', 'labels', 'tags', 'no-cache', 'outputs', 'cache-from', 'cache-to', 'platform', 'network', 'pull']);
const topKeys = new Set(['targets', 'groups', 'default']);

export interface BakeFile {
  targets: Map<string, RawTarget>;
  groups: Map<string, string[]>;
  /** Directory the file is in: relative contexts are relative to it. */
  base: string;
}

/** The 1-based line of the first `key:` at or after `fromLine` (for error messages). */
function lineOf(text: string, key: string, fromLine = 1): number | undefined {
  const lines = text.split(/\r?\n/);
  const pattern = new RegExp(`^\\s*(-\\s+)?["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`);
  for (let i = fromLine - 1; i < lines.length; i++) if (pattern.test(lines[i])) return i + 1;
  return undefined;
}

function fail(file: string, text: string, message: string, key?: string, after?: string): never {
  const start = after !== undefined ? lineOf(text, after) : undefined;
  const line = key !== undefined ? lineOf(text, key, start ?? 1) : start;
  throw new BakeError(line !== undefined ? `${file}:${line}: ${message}` : `${file}: ${message}`);
}

function stringMap(value: unknown, what: string, file: string, text: string, target: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) {
    // Compose allows `- KEY=value` lists.
    return Object.fromEntries(value.map((item) => {
      const entry = String(item);
      const equals = entry.indexOf('=');
      return equals < 0 ? [entry, process.env[entry] ?? ''] : [entry.slice(0, equals), entry.slice(equals + 1)];
    }));
  }
  if (typeof value !== 'object') fail(file, text, `${what} of ${target} must be a map`, what, target);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

/** Parses a bake file: msbuild's own format, or a compose file's services with a `build:` section. */
export function parseBakeFile(text: string, file: string, base: string): BakeFile {
  let document: unknown;
  try {
    document = yaml.load(text, { filename: file });
  } catch (error) {
    throw new BakeError(`${file}: ${(error as Error).message}`);
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) fail(file, text, 'expected a mapping at the top');
  const root = document as Record<string, unknown>;
  if ('services' in root) return parseCompose(root, file, text, base);
  for (const key of Object.keys(root)) if (!topKeys.has(key)) fail(file, text, `unknown key ${JSON.stringify(key)} (expected targets, groups, default)`, key);
  const targets = new Map<string, RawTarget>();
  for (const [name, raw] of Object.entries((root.targets ?? {}) as Record<string, unknown>)) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(file, text, `target ${name} must be a mapping`, name);
    for (const key of Object.keys(raw as object)) {
      if (!targetKeys.has(key)) fail(file, text, `unknown key ${JSON.stringify(key)} in target ${name} (known: ${[...targetKeys].join(', ')})`, key, name);
    }
    const value = raw as Record<string, unknown>;
    targets.set(name, {
      ...(value as RawTarget),
      inherits: stringList(value.inherits),
      args: stringMap(value.args, 'args', file, text, name),
      labels: stringMap(value.labels, 'labels', file, text, name),
      ...(value.tags !== undefined ? { tags: stringList(value.tags) } : {}),
      ...(value.outputs !== undefined ? { outputs: stringList(value.outputs) } : {}),
      ...(value['cache-from'] !== undefined ? { 'cache-from': stringList(value['cache-from']) } : {}),
    });
  }
  const groups = new Map<string, string[]>();
  for (const [name, members] of Object.entries((root.groups ?? {}) as Record<string, unknown>)) groups.set(name, stringList(members));
  if (root.default !== undefined) groups.set('default', stringList(root.default));
  return { targets, groups, base };
}

function parseCompose(root: Record<string, unknown>, file: string, text: string, base: string): BakeFile {
  const targets = new Map<string, RawTarget>();
  for (const [name, raw] of Object.entries((root.services ?? {}) as Record<string, unknown>)) {
    const service = (raw ?? {}) as Record<string, unknown>;
    const buildSection = service.build;
    if (buildSection === undefined) continue;
    const build = typeof buildSection === 'string' ? { context: buildSection } : (buildSection as Record<string, unknown>);
    const known = new Set(['context', 'dockerfile', 'args', 'target', 'labels', 'cache_from', 'cache_to', 'network', 'tags', 'platforms', 'no_cache', 'pull']);
    for (const key of Object.keys(build)) if (!known.has(key)) fail(file, text, `unknown key ${JSON.stringify(key)} in the build section of service ${name}`, key, name);
    const image = typeof service.image === 'string' ? [service.image] : [];
    targets.set(name, {
      context: typeof build.context === 'string' ? build.context : '.',
      ...(typeof build.dockerfile === 'string' ? { dockerfile: build.dockerfile } : {}),
      ...(typeof build.target === 'string' ? { target: build.target } : {}),
      args: stringMap(build.args, 'args', file, text, name),
      labels: stringMap(build.labels, 'labels', file, text, name),
      tags: [...image, ...stringList(build.tags)],
      'no-cache': build.no_cache === true,
      'cache-from': stringList(build.cache_from),
      ...(typeof build.cache_to === 'string' ? { 'cache-to': build.cache_to } : {}),
      ...(typeof build.network === 'string' ? { network: build.network } : {}),
      ...(Array.isArray(build.platforms) && build.platforms.length > 0 ? { platform: String(build.platforms[0]) } : {}),
    });
  }
  return { targets, groups: new Map([['default', [...targets.keys()]]]), base };
}

/** Applies one `--set target.key=value` (target may be `*`; args/labels take a sub-key). */
export function applySet(file: BakeFile, assignment: string): void {
  const equals = assignment.indexOf('=');
  if (equals < 0) throw new BakeError(`invalid --set ${JSON.stringify(assignment)}: expected target.key=value`);
  const path = assignment.slice(0, equals).split('.');
  const value = assignment.slice(equals + 1);
  if (path.length < 2) throw new BakeError(`invalid --set ${JSON.stringify(assignment)}: expected target.key=value`);
  const [pattern, key, sub] = path;
  const names = [...file.targets.keys()].filter((name) => pattern === '*' || name === pattern);
  if (names.length === 0) throw new BakeError(`--set ${assignment}: no target ${JSON.stringify(pattern)}`);
  if (!targetKeys.has(key)) throw new BakeError(`--set ${assignment}: unknown key ${JSON.stringify(key)}`);
  for (const name of names) {
    const target = file.targets.get(name) as RawTarget & Record<string, unknown>;
    if (key === 'args' || key === 'labels') {
      if (sub === undefined) throw new BakeError(`--set ${assignment}: use ${pattern}.${key}.NAME=value`);
      target[key] = { ...(target[key] ?? {}), [sub]: value };
    } else if (key === 'tags' || key === 'outputs' || key === 'cache-from' || key === 'inherits') {
      target[key] = value.split(',').filter(Boolean);
    } else if (key === 'no-cache') {
      target[key] = value === 'true' || value === '1';
    } else {
      target[key] = value;
    }
  }
}

function resolveTarget(file: BakeFile, name: string, chain: string[] = []): Omit<BakeTarget, 'name'> {
  const raw = file.targets.get(name);
  if (!raw) throw new BakeError(`unknown target ${JSON.stringify(name)}${chain.length ? ` (inherited by ${chain.at(-1)})` : ''}`);
  if (chain.includes(name)) throw new BakeError(`inheritance cycle: ${[...chain, name].join(' -> ')}`);
  let merged: Omit<BakeTarget, 'name'> = { context: '.', args: {}, labels: {}, tags: [], noCache: false, outputs: [], cacheFrom: [] };
  for (const parent of raw.inherits ?? []) {
    const inherited = resolveTarget(file, parent, [...chain, name]);
    merged = { ...merged, ...inherited, args: { ...merged.args, ...inherited.args }, labels: { ...merged.labels, ...inherited.labels } };
  }
  const network = raw.network;
  if (network !== undefined && network !== 'default' && network !== 'none' && network !== 'host') {
    throw new BakeError(`target ${name}: invalid network ${JSON.stringify(network)}`);
  }
  const pull = raw.pull;
  if (pull !== undefined && pull !== 'always' && pull !== 'missing' && pull !== 'never') throw new BakeError(`target ${name}: invalid pull ${JSON.stringify(pull)}`);
  return {
    ...merged,
    ...(raw.context !== undefined ? { context: raw.context } : {}),
    ...(raw.dockerfile !== undefined ? { dockerfile: raw.dockerfile } : {}),
    ...(raw.target !== undefined ? { target: raw.target } : {}),
    args: { ...merged.args, ...(raw.args ?? {}) },
    labels: { ...merged.labels, ...(raw.labels ?? {}) },
    ...(raw.tags !== undefined ? { tags: raw.tags } : {}),
    ...(raw['no-cache'] !== undefined ? { noCache: raw['no-cache'] } : {}),
    ...(raw.outputs !== undefined ? { outputs: raw.outputs } : {}),
    ...(raw['cache-from'] !== undefined ? { cacheFrom: raw['cache-from'] } : {}),
    ...(raw['cache-to'] !== undefined ? { cacheTo: raw['cache-to'] } : {}),
    ...(raw.platform !== undefined ? { platform: raw.platform } : {}),
    ...(network !== undefined ? { network } : {}),
    ...(pull !== undefined ? { pull } : {}),
  };
}

/** The builds for the requested targets or groups (default: the `default` group, else every target). */
export function resolveBake(file: BakeFile, requested: readonly string[]): BakeTarget[] {
  const names: string[] = [];
  const expand = (name: string, seen: string[]) => {
    const group = file.groups.get(name);
    if (group && !file.targets.has(name)) {
      if (seen.includes(name)) throw new BakeError(`group cycle: ${[...seen, name].join(' -> ')}`);
      for (const member of group) expand(member, [...seen, name]);
      return;
    }
    if (!file.targets.has(name)) throw new BakeError(`unknown target or group ${JSON.stringify(name)} (targets: ${[...file.targets.keys()].join(', ')})`);
    if (!names.includes(name)) names.push(name);
  };
  const wanted = requested.length > 0 ? requested : file.groups.has('default') ? ['default'] : [...file.targets.keys()];
  for (const name of wanted) expand(name, []);
  return names.map((name) => {
    const resolved = resolveTarget(file, name);
    return { name, ...resolved, context: resolve(file.base, resolved.context) };
  });
}
