// Argument checks shared by the bake stdlib functions: arity and typed reads, each failure a
// FunctionError naming the function and the argument (reported at the call).
import { FunctionError } from './evaluate.js';
import {
  ConversionError,
  plain,
  toBool,
  toList,
  toNumber,
  toObject,
  toStringValue,
  type Value,
  type ValueObject,
} from './values.js';

export type Fn = (args: Value[]) => Value;

/** A function of exactly the named parameters (a trailing `...name` takes any number more). */
export function fn(name: string, params: readonly string[], body: (args: Value[]) => Value): Fn {
  const variadic = params.length > 0 && params[params.length - 1].startsWith('...');
  const fixed = variadic ? params.length - 1 : params.length;
  return (args) => {
    if (args.length < fixed || (!variadic && args.length > fixed))
      throw new FunctionError(
        `${name}(${params.join(', ')}) takes ${variadic ? `at least ${fixed}` : fixed} argument${fixed === 1 ? '' : 's'}, not ${args.length}`,
      );
    try {
      return body(args);
    } catch (error) {
      if (error instanceof ConversionError) throw new FunctionError(`${name}: ${error.message}`);
      if (error instanceof FunctionError && !error.message.startsWith(`${name}`))
        throw new FunctionError(`${name}: ${error.message}`);
      throw error;
    }
  };
}

export const str = (value: Value, what = 'argument') => toStringValue(value, what);
export const num = (value: Value, what = 'argument') => toNumber(value, what);
export const bool = (value: Value, what = 'argument') => toBool(value, what);
export const list = (value: Value, what = 'argument') => toList(plain(value), what);
export const obj = (value: Value, what = 'argument'): ValueObject => toObject(value, what);

export function int(value: Value, what = 'argument'): number {
  const n = num(value, what);
  if (!Number.isInteger(n)) throw new FunctionError(`${what} must be a whole number, not ${n}`);
  return n;
}

export function fail(message: string): never {
  throw new FunctionError(message);
}

/** Unicode grapheme clusters, as cty counts string length. */
export function graphemes(text: string): string[] {
  return [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((part) => part.segment);
}
