// Bake files: targets, groups and inheritance from `msbuild.yaml` (or the `build:` sections of a
// compose file), `--set` overrides, and the resolved list of builds. Unknown keys and wrong types
// are errors with the line they are on, in block and flow style alike.
import { resolve } from 'node:path';
import yaml from 'js-yaml';
import { parseCompose } from './compose.js';
import { BakeError } from './errors.js';
import { describe, FieldReader, isMapping, type YamlMapping } from './fields.js';
import { networkModes, pullPolicies, targetKeys, type BakeFile, type BakeTarget, type RawTarget } from './target.js';
import { loadWithLines } from './yaml-lines.js';

export { BakeError } from './errors.js';
export type { BakeFile, BakeTarget, RawTarget } from './target.js';

const topKeys = ['targets', 'groups', 'default'] as const;
/** buildx writes a group as a mapping: `g: { targets: [a, b] }`. */
const groupKeys = ['targets'] as const;

/** One target's keys, each checked against its type. */
function readTarget(reader: FieldReader, node: YamlMapping, where: string): RawTarget {
  reader.onlyKeys(node, targetKeys, where);
  return {
    inherits: reader.stringList(node, 'inherits', where),
    context: reader.string(node, 'context', where),
    dockerfile: reader.string(node, 'dockerfile', where),
    target: reader.string(node, 'target', where),
    args: reader.stringMap(node, 'args', where),
    labels: reader.stringMap(node, 'labels', where),
    tags: reader.stringList(node, 'tags', where),
    'no-cache': reader.boolean(node, 'no-cache', where),
    outputs: reader.stringList(node, 'outputs', where),
    'cache-from': reader.stringList(node, 'cache-from', where),
    'cache-to': reader.string(node, 'cache-to', where),
    platform: reader.string(node, 'platform', where),
    network: reader.oneOf(node, 'network', where, networkModes),
    pull: reader.oneOf(node, 'pull', where, pullPolicies),
  };
}

/** Parses a bake file: msbuild's own format, or a compose file's services with a `build:` section. */
export function parseBakeFile(text: string, file: string, base: string): BakeFile {
  let loaded: ReturnType<typeof loadWithLines>;
  try {
    loaded = loadWithLines(text, file);
  } catch (error) {
    if (!(error instanceof yaml.YAMLException)) throw error;
    // The same `file:line:` as every other message, js-yaml's snippet of the lines around it below.
    const { mark, reason } = error;
    if (mark === undefined || mark === null) throw new BakeError(`${file}: ${reason}`);
    throw new BakeError(`${file}:${mark.line + 1}:${mark.column + 1}: ${reason}`, mark.snippet || undefined);
  }
  const { document, lines } = loaded;
  const reader = new FieldReader(file, lines);
  if (!isMapping(document)) throw new BakeError(`${file}: expected a mapping at the top`);
  if ('services' in document) return parseCompose(document, reader, base);
  reader.onlyKeys(document, topKeys, 'at the top');
  const origins = new Map<string, string>();
  const targets = new Map<string, RawTarget>();
  const targetNodes = reader.mapping(document, 'targets', 'at the top') ?? {};
  for (const [name, raw] of Object.entries(targetNodes)) {
    // `name:` alone is a target with every default.
    const node = raw === null ? {} : raw;
    if (!isMapping(node)) throw reader.error(targetNodes, name, `target ${name} must be a mapping, not ${describe(raw)}`);
    targets.set(name, readTarget(reader, node, `in target ${name}`));
    origins.set(`inherits ${name}`, reader.at(node, 'inherits'));
  }
  const groups = new Map<string, string[]>();
  const groupNodes = reader.mapping(document, 'groups', 'at the top') ?? {};
  for (const [name, raw] of Object.entries(groupNodes)) {
    if (isMapping(raw)) {
      reader.onlyKeys(raw, groupKeys, `in group ${name}`);
      groups.set(name, reader.stringList(raw, 'targets', `in group ${name}`) ?? []);
      origins.set(`group ${name}`, reader.at(raw, 'targets'));
    } else {
      groups.set(name, reader.stringList(groupNodes, name, 'in groups', 'a list of targets and groups, or a mapping with "targets"') ?? []);
      origins.set(`group ${name}`, reader.at(groupNodes, name));
    }
  }
  const fallback = reader.stringList(document, 'default', 'at the top');
  if (fallback !== undefined) {
    groups.set('default', fallback);
    origins.set('group default', reader.at(document, 'default'));
  }
  return { targets, groups, base, origins };
}

const listKeys = new Set<keyof RawTarget>(['inherits', 'tags', 'outputs', 'cache-from']);

/** A `--set` value as the key's type: the same checks as the file's. */
function setValue(key: keyof RawTarget, value: string, assignment: string): RawTarget[keyof RawTarget] {
  if (listKeys.has(key)) return value.split(',').filter(Boolean);
  if (key === 'no-cache') {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw new BakeError(`--set ${assignment}: "no-cache" must be true or false`);
  }
  const choices: readonly string[] | undefined = key === 'network' ? networkModes : key === 'pull' ? pullPolicies : undefined;
  if (choices !== undefined && !choices.includes(value)) throw new BakeError(`--set ${assignment}: ${JSON.stringify(key)} must be one of ${choices.join(', ')}`);
  return value;
}

/** Applies one `--set target.key=value` (target may be `*`; args/labels take a sub-key, which may hold dots). */
export function applySet(file: BakeFile, assignment: string): void {
  const equals = assignment.indexOf('=');
  const path = (equals < 0 ? '' : assignment.slice(0, equals)).split('.');
  if (equals < 0 || path.length < 2) throw new BakeError(`invalid --set ${JSON.stringify(assignment)}: expected target.key=value`);
  const value = assignment.slice(equals + 1);
  const [pattern, keyName] = path;
  const sub = path.length > 2 ? path.slice(2).join('.') : undefined;
  const names = [...file.targets.keys()].filter((name) => pattern === '*' || name === pattern);
  if (names.length === 0) throw new BakeError(`--set ${assignment}: no target ${JSON.stringify(pattern)}`);
  if (!(targetKeys as readonly string[]).includes(keyName)) throw new BakeError(`--set ${assignment}: unknown key ${JSON.stringify(keyName)}`);
  const key = keyName as keyof RawTarget;
  if ((key === 'args' || key === 'labels') !== (sub !== undefined)) {
    throw new BakeError(key === 'args' || key === 'labels' ? `--set ${assignment}: use ${pattern}.${key}.NAME=value` : `--set ${assignment}: ${JSON.stringify(key)} has no sub-keys`);
  }
  const typed = key === 'args' || key === 'labels' ? undefined : setValue(key, value, assignment);
  for (const name of names) {
    const target = file.targets.get(name) as RawTarget;
    if ((key === 'args' || key === 'labels') && sub !== undefined) target[key] = { ...(target[key] ?? {}), [sub]: value };
    else Object.assign(target, { [key]: typed });
  }
}

function resolveTarget(file: BakeFile, name: string, chain: string[] = []): Omit<BakeTarget, 'name'> {
  const raw = file.targets.get(name);
  const from = chain.at(-1);
  const at = from !== undefined ? (file.origins.get(`inherits ${from}`) ?? '') : '';
  if (!raw) throw new BakeError(`${at}unknown target ${JSON.stringify(name)}${from !== undefined ? ` (inherited by ${from})` : ''}`);
  if (chain.includes(name)) throw new BakeError(`${at}inheritance cycle: ${[...chain, name].join(' -> ')}`);
  let merged: Omit<BakeTarget, 'name'> = { context: '.', args: {}, labels: {}, tags: [], noCache: false, outputs: [], cacheFrom: [] };
  for (const parent of raw.inherits ?? []) {
    const inherited = resolveTarget(file, parent, [...chain, name]);
    merged = { ...merged, ...inherited, args: { ...merged.args, ...inherited.args }, labels: { ...merged.labels, ...inherited.labels } };
  }
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
    ...(raw.network !== undefined ? { network: raw.network } : {}),
    ...(raw.pull !== undefined ? { pull: raw.pull } : {}),
  };
}

/** The builds for the requested targets or groups (default: the `default` group, else every target). */
export function resolveBake(file: BakeFile, requested: readonly string[]): BakeTarget[] {
  const names: string[] = [];
  const expand = (name: string, seen: string[]) => {
    const group = file.groups.get(name);
    const parent = seen.at(-1);
    const at = parent !== undefined ? (file.origins.get(`group ${parent}`) ?? '') : '';
    if (group && !file.targets.has(name)) {
      if (seen.includes(name)) throw new BakeError(`${at}group cycle: ${[...seen, name].join(' -> ')}`);
      for (const member of group) expand(member, [...seen, name]);
      return;
    }
    if (!file.targets.has(name)) {
      throw new BakeError(`${at}unknown target or group ${JSON.stringify(name)}${parent !== undefined ? ` in group ${parent}` : ''} (targets: ${[...file.targets.keys()].join(', ')})`);
    }
    if (!names.includes(name)) names.push(name);
  };
  const wanted = requested.length > 0 ? requested : file.groups.has('default') ? ['default'] : [...file.targets.keys()];
  for (const name of wanted) expand(name, []);
  return names.map((name) => {
    const resolved = resolveTarget(file, name);
    return { name, ...resolved, context: resolve(file.base, resolved.context) };
  });
}
