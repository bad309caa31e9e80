// Values of HCL expressions (go-cty's, as bake needs them): strings, numbers, bools, null, sequences
// (tuples, lists and sets alike, as arrays) and objects/maps (plain objects); lazy objects stand for
// `target` and `group`, whose members are evaluated when referenced. Conversions follow cty's
// (a number or bool becomes a string, "true"/"5" become a bool or number), as do type constraints.
import { MsbuildError } from '../../errors.js';

export type Value = string | number | boolean | null | Value[] | ValueObject | LazyObject;
export interface ValueObject {
  [key: string]: Value;
}

/** An object whose members are computed when read (blocks referenced as `target.NAME.ATTR`). */
export class LazyObject {
  constructor(
    readonly member: (name: string) => Value | undefined,
    readonly names: () => string[],
  ) {}

  materialize(): ValueObject {
    return Object.fromEntries(this.names().map((name) => [name, this.member(name) ?? null]));
  }
}

export function isObject(value: Value): value is ValueObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof LazyObject);
}

/** Plain data: lazy objects materialized all the way down. */
export function plain(value: Value): Value {
  if (value instanceof LazyObject) return plain(value.materialize());
  if (Array.isArray(value)) return value.map(plain);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  return value;
}

export function typeName(value: Value): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'tuple';
  return 'object';
}

/** A number as cty writes it in a string: no exponent, no trailing zeros. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return BigInt(value).toString();
  const text = String(value);
  if (!/e/i.test(text)) return text;
  return value.toFixed(20).replace(/\.?0+$/, '');
}

export class ConversionError extends MsbuildError {
  override readonly code = 'MSBUILD_BAKE_CONVERSION';
}

export function toStringValue(value: Value, what = 'value'): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) throw new ConversionError(`${what} is null; a string is required`);
  throw new ConversionError(`${what} must be a string, not ${typeName(value)}`);
}

export function toNumber(value: Value, what = 'value'): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value)) return Number(value);
  throw new ConversionError(
    `${what} must be a number, not ${typeName(value)}${typeof value === 'string' ? ` ${JSON.stringify(value)}` : ''}`,
  );
}

export function toBool(value: Value, what = 'value'): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConversionError(`${what} must be a bool, not ${typeName(value)}`);
}

export function toList(value: Value, what = 'value'): Value[] {
  if (Array.isArray(value)) return value;
  throw new ConversionError(`${what} must be a list, not ${typeName(value)}`);
}

export function toObject(value: Value, what = 'value'): ValueObject {
  if (value instanceof LazyObject) return value.materialize();
  if (isObject(value)) return value;
  throw new ConversionError(`${what} must be a map or object, not ${typeName(value)}`);
}

/** cty's equality: same type and same content (1 and "1" differ). */
export function valuesEqual(a: Value, b: Value): boolean {
  const left = plain(a);
  const right = plain(b);
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false;
    return left.every((item, i) => valuesEqual(item, right[i]));
  }
  if (isObject(left) || isObject(right)) {
    if (!isObject(left) || !isObject(right)) return false;
    const keys = Object.keys(left).sort();
    const otherKeys = Object.keys(right).sort();
    return (
      keys.length === otherKeys.length &&
      keys.every((key, i) => key === otherKeys[i] && valuesEqual(left[key], right[key]))
    );
  }
  return left === right;
}

// Type constraints (`type = list(string)` in a variable block).

export type TypeConstraint =
  | { kind: 'string' | 'number' | 'bool' | 'any' }
  | { kind: 'list' | 'set' | 'map'; element: TypeConstraint }
  | { kind: 'tuple'; elements: TypeConstraint[] }
  | { kind: 'object'; attributes: Record<string, TypeConstraint> };

export function constraintName(type: TypeConstraint): string {
  switch (type.kind) {
    case 'list':
    case 'set':
    case 'map':
      return `${type.kind}(${constraintName(type.element)})`;
    case 'tuple':
      return `tuple([${type.elements.map(constraintName).join(', ')}])`;
    case 'object':
      return `object({${Object.entries(type.attributes)
        .map(([key, item]) => `${key}=${constraintName(item)}`)
        .join(', ')}})`;
    default:
      return type.kind;
  }
}

/** Converts `value` to `type` as cty's convert.Convert does; null stays null. */
export function convertTo(value: Value, type: TypeConstraint, what = 'value'): Value {
  if (value === null || type.kind === 'any') return value === null ? null : plain(value);
  switch (type.kind) {
    case 'string':
      return toStringValue(value, what);
    case 'number':
      return toNumber(value, what);
    case 'bool':
      return toBool(value, what);
    case 'list':
    case 'set': {
      const items = toList(plain(value), what).map((item, i) => convertTo(item, type.element, `${what}[${i}]`));
      if (type.kind === 'list') return items;
      return items.filter((item, i) => items.findIndex((other) => valuesEqual(other, item)) === i);
    }
    case 'tuple': {
      const items = toList(plain(value), what);
      if (items.length !== type.elements.length)
        throw new ConversionError(`${what} must have ${type.elements.length} elements, not ${items.length}`);
      return items.map((item, i) => convertTo(item, type.elements[i], `${what}[${i}]`));
    }
    case 'map':
      return Object.fromEntries(
        Object.entries(toObject(value, what)).map(([key, item]) => [
          key,
          convertTo(item, type.element, `${what}.${key}`),
        ]),
      );
    case 'object': {
      const source = toObject(value, what);
      return Object.fromEntries(
        Object.entries(type.attributes).map(([key, item]) => {
          if (!(key in source)) throw new ConversionError(`${what} lacks the attribute ${JSON.stringify(key)}`);
          return [key, convertTo(source[key], item, `${what}.${key}`)];
        }),
      );
    }
  }
}
