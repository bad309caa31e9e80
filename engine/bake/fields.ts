// Typed reads of bake-file values. Every key has one expected type, and a wrong one is an error naming
// the file, the line, the key and the type expected: YAML turns `no-cache: yes` into a string and
// `tags: {x: 1}` into a mapping without complaint, and msbuild must not pass either on. A collection
// left empty (`args:`) is an empty collection; an empty scalar is an error (a value lost to a typo).
import { BakeError } from './errors.js';
import type { YamlLines } from './yaml-lines.js';

export type YamlMapping = Record<string, unknown>;

export function isMapping(value: unknown): value is YamlMapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

/** What a wrong value is, in words: `the number 5`, `a mapping`, `empty`. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  // YAML reads an unquoted 2024-01-02 as a timestamp.
  if (value instanceof Date) return 'a date (quote it to make it a string)';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `the ${typeof value} ${String(value)}`;
}

/** Reads keys of the mappings of one loaded file; `where` says whose key it is (`in target api`). */
export class FieldReader {
  constructor(
    readonly file: string,
    private readonly lines: YamlLines,
  ) {}

  /** The line of `key` in `node` (or of `node` itself when the key has none, as merged keys do). */
  line(node: object, key?: string): number | undefined {
    return (key !== undefined ? this.lines.key(node, key) : undefined) ?? this.lines.of(node);
  }

  /** `file:line: ` (or `file: ` when no line is known), the prefix of every message about the file. */
  at(node: object, key?: string): string {
    const line = this.line(node, key);
    return line !== undefined ? `${this.file}:${line}: ` : `${this.file}: `;
  }

  error(node: object, key: string | undefined, message: string): BakeError {
    return new BakeError(`${this.at(node, key)}${message}`);
  }

  /** The value at `field` is not what it must be. */
  private wrong(
    field: { node: YamlMapping; key: string; where: string },
    expected: string,
    detail = `not ${describe(field.node[field.key])}`,
  ): never {
    const { node, key, where } = field;
    throw this.error(node, key, `${JSON.stringify(key)} ${where} must be ${expected}, ${detail}`);
  }

  onlyKeys(node: YamlMapping, known: readonly string[], where: string): void {
    for (const key of Object.keys(node)) {
      if (!known.includes(key))
        throw this.error(node, key, `unknown key ${JSON.stringify(key)} ${where} (known: ${known.join(', ')})`);
    }
  }

  string(node: YamlMapping, key: string, where: string): string | undefined {
    const value = node[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.wrong({ node, key, where }, 'a string');
    return value;
  }

  boolean(node: YamlMapping, key: string, where: string): boolean | undefined {
    const value = node[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') this.wrong({ node, key, where }, 'true or false');
    return value;
  }

  oneOf<T extends string>(node: YamlMapping, key: string, where: string, values: readonly T[]): T | undefined {
    const value = node[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value))
      this.wrong({ node, key, where }, `one of ${values.join(', ')}`);
    return value as T;
  }

  mapping(node: YamlMapping, key: string, where: string, expected = 'a mapping'): YamlMapping | undefined {
    const value = node[key];
    if (value === undefined) return undefined;
    if (value === null) return {};
    if (!isMapping(value)) this.wrong({ node, key, where }, expected);
    return value;
  }

  /** A list of strings; one string is a list of one. */
  stringList(
    node: YamlMapping,
    key: string,
    where: string,
    expected = 'a string or a list of strings',
  ): string[] | undefined {
    const value = node[key];
    if (value === undefined) return undefined;
    if (value === null) return [];
    if (typeof value === 'string') return [value];
    if (!Array.isArray(value)) this.wrong({ node, key, where }, expected);
    const items: unknown[] = value;
    const bad = items.findIndex((item) => typeof item !== 'string');
    if (bad >= 0) this.wrong({ node, key, where }, expected, `but item ${bad + 1} is ${describe(items[bad])}`);
    return items as string[];
  }

  /** `KEY: value` pairs (numbers and booleans as written), or compose's `- KEY=value` list (`- KEY` takes KEY from the environment). */
  stringMap(node: YamlMapping, key: string, where: string): Record<string, string> | undefined {
    const value = node[key];
    if (value === undefined) return undefined;
    if (value === null) return {};
    const expected = 'a mapping or a list of KEY=VALUE strings';
    if (Array.isArray(value)) {
      const items: unknown[] = value;
      return Object.fromEntries(
        items.map((item, i) => {
          if (typeof item !== 'string')
            this.wrong({ node, key, where }, expected, `but item ${i + 1} is ${describe(item)}`);
          const equals = item.indexOf('=');
          return equals < 0 ? [item, process.env[item] ?? ''] : [item.slice(0, equals), item.slice(equals + 1)];
        }),
      );
    }
    if (!isMapping(value)) this.wrong({ node, key, where }, expected);
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => {
        if (item === null) return [name, ''];
        if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
          this.wrong({ node: value, key: name, where: `in ${key} ${where}` }, 'a string, a number or true/false');
        }
        return [name, String(item)];
      }),
    );
  }
}
