// Collection, number and logic functions of the bake stdlib (go-cty stdlib's): lists, sets (kept as
// arrays without duplicates, in cty's order), maps, arithmetic and comparisons.
import { bool, fail, fn, int, list, num, obj, str, type Fn } from './stdlib-args.js';
import { isObject, LazyObject, plain, typeName, valuesEqual, type Value, type ValueObject } from './values.js';

function distinct(items: Value[]): Value[] {
  return items.filter((item, i) => items.findIndex((other) => valuesEqual(other, item)) === i);
}

/** A set's elements in cty's order: strings sorted, numbers ascending, others as given. */
function setOf(value: Value, what = 'argument'): Value[] {
  const items = distinct(list(value, what));
  if (items.every((item) => typeof item === 'string')) return [...items].sort();
  if (items.every((item) => typeof item === 'number')) return [...items].sort((a, b) => (a as number) - (b as number));
  return items;
}

const has = (set: Value[], item: Value) => set.some((other) => valuesEqual(other, item));

function flatten(items: Value[]): Value[] {
  return items.flatMap((item) => (Array.isArray(item) ? flatten(item) : [item]));
}

function collectionLength(value: Value): number {
  if (typeof value === 'string') return [...new Intl.Segmenter().segment(value)].length;
  if (Array.isArray(value)) return value.length;
  if (isObject(value) || value instanceof LazyObject) return Object.keys(obj(value)).length;
  return fail(`length of a ${typeName(value)} is undefined`);
}

function product(sets: Value[][]): Value[][] {
  return sets.reduce<Value[][]>((acc, set) => acc.flatMap((prefix) => set.map((item) => [...prefix, item])), [[]]);
}

function compare(name: string, test: (a: number, b: number) => boolean): Fn {
  return fn(name, ['a', 'b'], ([a, b]) => test(num(a, 'a'), num(b, 'b')));
}

export const collectionFunctions: Record<string, Fn> = {
  length: fn('length', ['value'], ([value]) => collectionLength(plain(value))),
  concat: fn('concat', ['...seqs'], (seqs) => seqs.flatMap((seq) => list(seq))),
  compact: fn('compact', ['list'], ([items]) => list(items).filter((item) => item !== null && item !== '')),
  contains: fn('contains', ['list', 'value'], ([items, value]) => has(list(items), value)),
  distinct: fn('distinct', ['list'], ([items]) => distinct(list(items))),
  element: fn('element', ['list', 'index'], ([items, index]) => {
    const all = list(items);
    if (all.length === 0) fail('cannot use element function with an empty list');
    const i = int(index, 'index');
    if (i < 0) fail('cannot use element function with a negative index');
    return all[i % all.length];
  }),
  flatten: fn('flatten', ['list'], ([items]) => flatten(list(items))),
  chunklist: fn('chunklist', ['list', 'size'], ([items, size]) => {
    const all = list(items);
    const n = int(size, 'size');
    if (n < 0) fail('the size argument must be positive');
    if (n === 0) return [all];
    const chunks: Value[][] = [];
    for (let i = 0; i < all.length; i += n) chunks.push(all.slice(i, i + n));
    return chunks;
  }),
  coalesce: fn('coalesce', ['...vals'], (values) => {
    const found = values.find((value) => value !== null && value !== '');
    if (found === undefined) fail('no non-null, non-empty-string arguments');
    return found;
  }),
  coalescelist: fn('coalescelist', ['...vals'], (values) => values.find((value) => list(value).length > 0) ?? []),
  index: fn('index', ['collection', 'key'], ([collection, key]) => {
    if (Array.isArray(collection)) {
      const i = int(key, 'key');
      if (i < 0 || i >= collection.length) fail('the given index is not in the collection');
      return collection[i];
    }
    const map = obj(collection, 'collection');
    const name = str(key, 'key');
    if (!Object.hasOwn(map, name)) fail(`the given key ${JSON.stringify(name)} is not in the collection`);
    return map[name];
  }),
  indexof: fn('indexof', ['list', 'value'], ([items, value]) => {
    const all = list(items);
    if (all.length === 0) fail('cannot search an empty list');
    const i = all.findIndex((item) => valuesEqual(item, value));
    if (i < 0) fail('item not found');
    return i;
  }),
  hasindex: fn('hasindex', ['collection', 'key'], ([collection, key]) => {
    if (Array.isArray(collection))
      return typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < collection.length;
    if (isObject(collection) || collection instanceof LazyObject)
      return typeof key === 'string' && Object.hasOwn(obj(collection), key);
    return fail(`cannot index a ${typeName(collection)}`);
  }),
  keys: fn('keys', ['map'], ([map]) => Object.keys(obj(map)).sort()),
  values: fn('values', ['map'], ([map]) => {
    const all = obj(map);
    return Object.keys(all)
      .sort()
      .map((key) => all[key]);
  }),
  lookup: fn('lookup', ['map', 'key', '...default'], ([map, key, ...fallback]) => {
    if (fallback.length > 1) fail('lookup takes at most one default');
    const all = obj(map);
    const name = str(key, 'key');
    if (Object.hasOwn(all, name)) return all[name];
    if (fallback.length === 0) fail(`the given key ${JSON.stringify(name)} is not in the map and no default was given`);
    return fallback[0];
  }),
  merge: fn(
    'merge',
    ['...maps'],
    (maps) => Object.assign({}, ...maps.filter((map) => map !== null).map((map) => obj(map))) as ValueObject,
  ),
  range: fn('range', ['...params'], (params) => {
    if (params.length < 1 || params.length > 3) fail('range takes one to three arguments');
    const [a, b, c] = params.map((value) => num(value));
    const [start, end, step] = params.length === 1 ? [0, a, 1] : [a, b, params.length === 3 ? c : a <= b ? 1 : -1];
    if (step === 0) fail('step must not be zero');
    if ((step > 0 && start > end) || (step < 0 && start < end)) fail('step is in the wrong direction');
    const out: number[] = [];
    for (let x = start; step > 0 ? x < end : x > end; x += step) {
      out.push(x);
      if (out.length > 1024) fail('more than 1024 values were generated');
    }
    return out;
  }),
  reverselist: fn('reverselist', ['list'], ([items]) => [...list(items)].reverse()),
  slice: fn('slice', ['list', 'start_index', 'end_index'], ([items, start, end]) => {
    const all = list(items);
    const from = int(start, 'start_index');
    const to = int(end, 'end_index');
    if (from < 0 || to > all.length || from > to) fail('the slice indices are out of range');
    return all.slice(from, to);
  }),
  sort: fn('sort', ['list'], ([items]) =>
    list(items)
      .map((item) => str(item, 'list element'))
      .sort(),
  ),
  zipmap: fn('zipmap', ['keys', 'values'], ([keys, values]) => {
    const names = list(keys, 'keys');
    const all = list(values, 'values');
    if (names.length !== all.length) fail('the keys and values lists must have the same length');
    return Object.fromEntries(names.map((name, i) => [str(name, 'key'), all[i]]));
  }),
  sethaselement: fn('sethaselement', ['set', 'elem'], ([set, item]) => has(setOf(set), item)),
  setunion: fn('setunion', ['first_set', '...other_sets'], (sets) => setOf(sets.flatMap((set) => list(set)))),
  setintersection: fn('setintersection', ['first_set', '...other_sets'], ([first, ...others]) =>
    setOf(first).filter((item) => others.every((other) => has(list(other), item))),
  ),
  setsubtract: fn('setsubtract', ['a', 'b'], ([a, b]) => setOf(a).filter((item) => !has(list(b), item))),
  setsymmetricdifference: fn('setsymmetricdifference', ['first_set', '...other_sets'], (sets) => {
    const all = sets.flatMap((set) => setOf(set));
    return setOf(all.filter((item) => all.filter((other) => valuesEqual(other, item)).length % 2 === 1));
  }),
  setproduct: fn('setproduct', ['...sets'], (sets) => {
    if (sets.length < 2) fail('at least two arguments are required');
    return product(sets.map((set) => list(set)));
  }),
  // Numbers.
  absolute: fn('absolute', ['num'], ([n]) => Math.abs(num(n))),
  add: fn('add', ['a', 'b'], ([a, b]) => num(a, 'a') + num(b, 'b')),
  subtract: fn('subtract', ['a', 'b'], ([a, b]) => num(a, 'a') - num(b, 'b')),
  multiply: fn('multiply', ['a', 'b'], ([a, b]) => num(a, 'a') * num(b, 'b')),
  divide: fn('divide', ['a', 'b'], ([a, b]) =>
    num(b, 'b') === 0 ? fail('division by zero') : num(a, 'a') / num(b, 'b'),
  ),
  modulo: fn('modulo', ['a', 'b'], ([a, b]) =>
    num(b, 'b') === 0 ? fail('modulo by zero') : num(a, 'a') % num(b, 'b'),
  ),
  negate: fn('negate', ['num'], ([n]) => -num(n)),
  pow: fn('pow', ['num', 'power'], ([n, p]) => num(n) ** num(p, 'power')),
  signum: fn('signum', ['num'], ([n]) => Math.sign(num(n))),
  ceil: fn('ceil', ['num'], ([n]) => Math.ceil(num(n))),
  floor: fn('floor', ['num'], ([n]) => Math.floor(num(n))),
  int: fn('int', ['num'], ([n]) => Math.trunc(num(n))),
  log: fn('log', ['num', 'base'], ([n, base]) => Math.log(num(n)) / Math.log(num(base, 'base'))),
  max: fn('max', ['...numbers'], (numbers) =>
    numbers.length === 0 ? fail('at least one number is required') : Math.max(...numbers.map((n) => num(n))),
  ),
  min: fn('min', ['...numbers'], (numbers) =>
    numbers.length === 0 ? fail('at least one number is required') : Math.min(...numbers.map((n) => num(n))),
  ),
  parseint: fn('parseint', ['number', 'base'], ([text, base]) => {
    const radix = int(base, 'base');
    if (radix < 2 || radix > 62) fail('base must be a whole number between 2 and 62 inclusive');
    const digits = str(text, 'number');
    const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.slice(0, radix);
    const body = digits.replace(/^[-+]/, '');
    const lowered = radix <= 36 ? body.toLowerCase() : body;
    if (body === '' || [...lowered].some((c) => !alphabet.includes(c)))
      fail(`cannot parse ${JSON.stringify(digits)} as a base ${radix} integer`);
    const value = [...lowered].reduce((total, c) => total * radix + alphabet.indexOf(c), 0);
    return digits.startsWith('-') ? -value : value;
  }),
  greaterthan: compare('greaterthan', (a, b) => a > b),
  greaterthanorequalto: compare('greaterthanorequalto', (a, b) => a >= b),
  lessthan: compare('lessthan', (a, b) => a < b),
  lessthanorequalto: compare('lessthanorequalto', (a, b) => a <= b),
  equal: fn('equal', ['a', 'b'], ([a, b]) => valuesEqual(a, b)),
  notequal: fn('notequal', ['a', 'b'], ([a, b]) => !valuesEqual(a, b)),
  and: fn('and', ['a', 'b'], ([a, b]) => bool(a, 'a') && bool(b, 'b')),
  or: fn('or', ['a', 'b'], ([a, b]) => bool(a, 'a') || bool(b, 'b')),
  not: fn('not', ['val'], ([v]) => !bool(v)),
};
