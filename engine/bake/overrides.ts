// `--set pattern.key[.subkey][+]=value` as buildx applies it (bake/bake.go newOverrides and
// AddOverrides): the pattern is a target name or a Go path.Match glob (`foo*`, `*`), list attributes
// take repeated values or append with `+=`, `args.NAME` without a value reads the environment, and
// `secret.ID` changes an existing secret's source.
import { matchPath } from '../copy/pattern.js';
import { parseSpec } from '../util/spec.js';
import { BakeError } from './errors.js';
import { attestEntry, cacheEntries, outputEntry, secretEntry, sshEntry, type Entry, type Target } from './target.js';

export interface Override {
  value: string;
  values: string[];
  append: boolean;
  given: boolean;
}

/** Attributes `--set` repeats into a list (and `+=` appends to). */
const listKeys = new Set([
  'output',
  'cache-to',
  'cache-from',
  'tags',
  'platform',
  'secrets',
  'ssh',
  'attest',
  'entitlements',
  'network',
  'annotations',
  'policy',
  'no-cache-filter',
  'ulimits',
]);
/** Bool attributes: `--set t.no-cache` alone is true, as buildx's reference shows. */
const boolKeys = new Set(['no-cache', 'pull', 'push', 'load']);

/** The names a pattern stands for: the name itself, or every target a glob matches. */
function expandTargets(pattern: string, names: readonly string[]): string[] {
  if (names.includes(pattern)) return [pattern];
  const matched = names.filter((name) => {
    try {
      return matchPath(pattern, name);
    } catch {
      throw new BakeError(`could not match targets with '${pattern}'`);
    }
  });
  if (matched.length === 0) throw new BakeError(`could not find any target matching '${pattern}'`);
  return matched;
}

/** Parses `--set` values into overrides by target name and key (`args.NAME`, `tags`…). */
export function parseOverrides(
  specs: readonly string[],
  names: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Map<string, Map<string, Override>> {
  const result = new Map<string, Map<string, Override>>();
  for (const spec of specs) {
    const equals = spec.indexOf('=');
    const left = equals < 0 ? spec : spec.slice(0, equals);
    const append = left.endsWith('+');
    const key = append ? left.slice(0, -1) : left;
    const parts = key.split('.');
    const keys = parts.length > 3 ? [parts[0], parts[1], parts.slice(2).join('.')] : parts;
    if (keys.length < 2) throw new BakeError(`invalid override key ${key}, expected target.name`);
    const [pattern, attribute] = keys;
    let value = equals < 0 ? undefined : spec.slice(equals + 1);
    if (value === undefined && boolKeys.has(attribute)) value = 'true';
    if (value === undefined && attribute !== 'args')
      throw new BakeError(`invalid override ${spec}, expected target.name=value`);
    if (
      (attribute === 'args' ||
        attribute === 'contexts' ||
        attribute === 'labels' ||
        attribute === 'extra-hosts' ||
        attribute === 'resources' ||
        attribute === 'secret') &&
      keys.length !== 3
    )
      throw new BakeError(`invalid key ${left}, ${attribute} requires name`);
    if (append && !listKeys.has(attribute))
      throw new BakeError(`invalid key ${left}, ${attribute} does not support append`);
    if (value === undefined) {
      // `--set t.args.NAME` takes NAME's value from the environment (and is skipped when unset).
      value = env[keys[2]];
      if (value === undefined) continue;
    }
    const name = keys.slice(1).join('.');
    for (const target of expandTargets(pattern, names)) {
      let map = result.get(target);
      if (!map) result.set(target, (map = new Map()));
      const previous = map.get(name);
      const values = listKeys.has(attribute) ? [...(previous?.values ?? []), value] : [];
      map.set(name, { value, values, append: append || (previous?.append ?? false), given: true });
    }
  }
  return result;
}

function bool(key: string, value: string): boolean {
  if (/^(1|t|T|TRUE|true|True)$/.test(value)) return true;
  if (/^(0|f|F|FALSE|false|False)$/.test(value)) return false;
  throw new BakeError(`invalid value ${value} for boolean key ${key}`);
}

function listOf<T>(current: T[] | undefined, override: Override, parse: (text: string) => T[]): T[] {
  const parsed = override.values.flatMap(parse);
  return override.append ? [...(current ?? []), ...parsed] : parsed;
}

/** Applies one target's overrides (buildx's Target.AddOverrides). */
export function applyOverrides(target: Target, overrides: ReadonlyMap<string, Override> | undefined): void {
  if (!overrides) return;
  for (const [key, override] of overrides) {
    const [attribute, sub = ''] = key.split(/\.(.*)/s);
    const value = override.value;
    switch (attribute) {
      case 'context':
      case 'dockerfile':
      case 'target':
      case 'call':
      case 'shm-size':
        Object.assign(target, { [attribute]: value });
        break;
      case 'network':
        target.network = override.values[override.values.length - 1] ?? value;
        break;
      case 'args':
      case 'labels':
      case 'extra-hosts':
        target[attribute] = { ...(target[attribute] ?? {}), [sub]: value };
        break;
      case 'contexts':
        target.contexts = { ...(target.contexts ?? {}), [sub]: value };
        break;
      case 'resources':
        target.resources = {
          ...(target.resources ?? {}),
          [sub]:
            /^-?\d+$/.test(value) && sub.startsWith('cpu-') && sub !== 'cpuset-cpus' && sub !== 'cpuset-mems'
              ? Number(value)
              : value,
        };
        break;
      case 'tags':
      case 'annotations':
      case 'entitlements':
      case 'no-cache-filter':
      case 'ulimits':
        target[attribute] = listOf(target[attribute], override, (text) => [text]);
        break;
      case 'platform':
        target.platforms = listOf(target.platforms, override, (text) => [text]);
        break;
      case 'cache-from':
      case 'cache-to':
        target[attribute] = listOf<Entry>(target[attribute], override, cacheEntries);
        break;
      case 'output':
        target.output = listOf<Entry>(target.output, override, (text) => [outputEntry(text)]);
        break;
      case 'attest':
        target.attest = [...(target.attest ?? []), ...override.values.map(attestEntry)];
        break;
      case 'policy':
        target.policy = listOf<Entry>(target.policy, override, (text) => [
          Object.fromEntries(parseSpec(text, 'policy')),
        ]);
        break;
      case 'secrets':
        target.secret = listOf(target.secret, override, (text) => [secretEntry(text)]);
        break;
      case 'secret': {
        const secret = target.secret?.find((entry) => entry.id === sub);
        if (!secret) throw new BakeError(`secret ${JSON.stringify(sub)} is not declared by target ${target.name}`);
        const changed = secretEntry(`id=${sub},${value}`);
        delete secret.src;
        delete secret.env;
        Object.assign(secret, changed);
        break;
      }
      case 'ssh':
        target.ssh = listOf(target.ssh, override, (text) => [sshEntry(text)]);
        break;
      case 'no-cache':
        target['no-cache'] = bool(attribute, value);
        break;
      case 'pull':
        target.pull = bool(attribute, value);
        break;
      case 'load':
        if (bool(attribute, value)) target.output = withLoad(target.output);
        break;
      case 'push':
        if (bool(attribute, value))
          target.output = [
            ...(target.output ?? []).filter((entry) => entry.type !== 'image'),
            { type: 'image', push: 'true' },
          ];
        break;
      default:
        throw new BakeError(`unknown key: ${attribute}`);
    }
  }
}

/** buildx's setLoadOverride: a docker output is added unless an output already loads or writes files. */
export function withLoad(outputs: Entry[] | undefined): Entry[] {
  const all = outputs ?? [];
  for (const output of all) {
    if (output.type === 'docker' && output.dest === undefined) return all;
    if (!['docker', 'image', 'registry', 'oci'].includes(output.type)) return all;
  }
  return [...all, { type: 'docker' }];
}
