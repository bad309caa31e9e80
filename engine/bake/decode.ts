// Values of a target's or group's attributes (from HCL, JSON or a compose x-bake section) checked
// against the type buildx gives each attribute and turned into the Target model: numbers and bools
// become strings where a string is expected (as cty converts them), entries may be written in flag
// syntax or as objects, and a wrong type or an unknown attribute is an error naming the attribute.
import type { Position } from './hcl/ast.js';
import { HclError } from './hcl/errors.js';
import { ConversionError, isObject, plain, toBool, toStringValue, typeName, type Value } from './hcl/values.js';
import {
  attestEntry,
  cacheEntries,
  outputEntry,
  secretEntry,
  sshEntry,
  targetKeys,
  type Entry,
  type SecretEntry,
  type SshEntry,
  type Target,
  type TargetKey,
} from './target.js';

type Kind =
  | 'string'
  | 'strings'
  | 'map'
  | 'bool'
  | 'outputs'
  | 'caches'
  | 'attests'
  | 'policies'
  | 'secrets'
  | 'ssh'
  | 'resources';

const kinds: Record<TargetKey, Kind> = {
  description: 'string',
  inherits: 'strings',
  annotations: 'strings',
  attest: 'attests',
  context: 'string',
  contexts: 'map',
  dockerfile: 'string',
  'dockerfile-inline': 'string',
  args: 'map',
  labels: 'map',
  tags: 'strings',
  'cache-from': 'caches',
  'cache-to': 'caches',
  target: 'string',
  secret: 'secrets',
  ssh: 'ssh',
  platforms: 'strings',
  output: 'outputs',
  pull: 'bool',
  'no-cache': 'bool',
  network: 'string',
  'no-cache-filter': 'strings',
  'shm-size': 'string',
  ulimits: 'strings',
  resources: 'resources',
  call: 'string',
  entitlements: 'strings',
  'extra-hosts': 'map',
  policy: 'policies',
};

export function isTargetKey(name: string): name is TargetKey {
  return (targetKeys as readonly string[]).includes(name);
}

/** Reads one attribute; `fail` reports at the attribute. */
export class AttributeReader {
  constructor(private readonly source?: string) {}

  fail(message: string, at: Position): never {
    throw new HclError(message, at, this.source);
  }

  private convert<T>(at: Position, name: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof ConversionError) this.fail(`incorrect attribute value type: ${name}: ${error.message}`, at);
      if (error instanceof Error && error.name === 'BakeError' && !(error instanceof HclError))
        this.fail(`${name}: ${error.message}`, at);
      throw error;
    }
  }

  strings(value: Value, name: string, at: Position): string[] {
    return this.convert(at, name, () => {
      const items = plain(value);
      if (!Array.isArray(items)) throw new ConversionError(`a list of strings is required, not ${typeName(items)}`);
      return items.map((item, i) => toStringValue(item, `element ${i}`));
    });
  }

  /** A list (or one item) whose items are objects or text: each read by the function for its kind. */
  private objectsOrStrings<T>(
    value: Value,
    where: { name: string; at: Position },
    read: { fromText: (text: string) => T[]; fromObject: (object: Record<string, Value>) => T },
  ): T[] {
    const { fromText, fromObject } = read;
    return this.convert(where.at, where.name, () => {
      const items = plain(value);
      const list = Array.isArray(items) ? items : [items];
      return list.flatMap((item) => {
        if (item === null) return [];
        if (isObject(item)) return [fromObject(item)];
        return fromText(toStringValue(item, 'an element'));
      });
    });
  }

  /** `{type = "local", dest = "out"}` → entry (values as strings). */
  private entryOf(object: Record<string, Value>): Entry {
    const entry = Object.fromEntries(
      Object.entries(object).flatMap(([key, item]) => (item === null ? [] : [[key, toStringValue(item, key)]])),
    );
    if (!entry.type) throw new ConversionError('type is required');
    return entry;
  }

  read(key: TargetKey, value: Value, at: Position): Target[TargetKey] {
    const kind = kinds[key];
    switch (kind) {
      case 'string':
        return this.convert(at, key, () => toStringValue(value, key));
      case 'bool':
        return this.convert(at, key, () => toBool(value, key));
      case 'strings':
        return this.strings(value, key, at);
      case 'map':
        return this.convert(at, key, () => {
          const object = plain(value);
          if (!isObject(object)) throw new ConversionError(`a map is required, not ${typeName(object)}`);
          return Object.fromEntries(
            Object.entries(object).map(([name, item]) => [
              name,
              item === null ? null : toStringValue(item, `${key}.${name}`),
            ]),
          );
        });
      case 'resources':
        return this.convert(at, key, () => {
          const object = plain(value);
          if (!isObject(object)) throw new ConversionError(`an object is required, not ${typeName(object)}`);
          return Object.fromEntries(
            Object.entries(object).flatMap(([name, item]) =>
              item === null ? [] : [[name, typeof item === 'number' ? item : toStringValue(item, `resources.${name}`)]],
            ),
          );
        });
      case 'outputs':
        return this.objectsOrStrings(
          value,
          { name: key, at },
          { fromText: (text) => [outputEntry(text)], fromObject: (object) => this.entryOf(object) },
        );
      case 'caches':
        return this.objectsOrStrings(
          value,
          { name: key, at },
          { fromText: cacheEntries, fromObject: (object) => this.entryOf(object) },
        );
      case 'attests':
      case 'policies':
        return this.objectsOrStrings(
          value,
          { name: key, at },
          {
            fromText: (text) => [
              kind === 'attests'
                ? attestEntry(text)
                : Object.fromEntries(text.split(',').map((field) => field.split(/=(.*)/s).slice(0, 2))),
            ],
            fromObject: (object) =>
              kind === 'attests'
                ? this.entryOf(object)
                : Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toStringValue(v, k)])),
          },
        );
      case 'secrets':
        return this.objectsOrStrings<SecretEntry>(
          value,
          { name: key, at },
          {
            fromText: (text) => [secretEntry(text)],
            fromObject: (object) => {
              const field = (name: string) =>
                object[name] === undefined || object[name] === null ? undefined : toStringValue(object[name], name);
              for (const name of Object.keys(object))
                if (!['type', 'id', 'src', 'source', 'env'].includes(name))
                  throw new ConversionError(`unexpected key ${JSON.stringify(name)} in a secret`);
              const type = field('type');
              if (type !== undefined && type !== 'file' && type !== 'env')
                throw new ConversionError(`unsupported secret type ${JSON.stringify(type)}`);
              const id = field('id');
              let src = field('src') ?? field('source');
              let env = field('env');
              if (type === 'env' && env === undefined) [env, src] = [src, undefined];
              return {
                ...(id !== undefined ? { id } : {}),
                ...(src !== undefined ? { src } : {}),
                ...(env !== undefined ? { env } : {}),
              };
            },
          },
        );
      case 'ssh':
        return this.objectsOrStrings<SshEntry>(
          value,
          { name: key, at },
          {
            fromText: (text) => [sshEntry(text)],
            fromObject: (object) => {
              const id = object.id === undefined || object.id === null ? undefined : toStringValue(object.id, 'id');
              const paths =
                object.paths === undefined || object.paths === null
                  ? undefined
                  : this.strings(object.paths, 'ssh.paths', at);
              return { ...(id !== undefined ? { id } : {}), ...(paths && paths.length > 0 ? { paths } : {}) };
            },
          },
        );
    }
  }
}
