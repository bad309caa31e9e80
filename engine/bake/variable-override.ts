// A bake variable's override from the environment or `--var`, read as buildx reads it: a list, set or
// tuple as CSV, a primitive by its type (or by its default's type when untyped), anything else only
// as NAME_JSON.
import { csvFields } from '../util/csv.js';
import { constraintName, convertTo, type TypeConstraint, type Value } from './hcl/values.js';

/** buildx's valueFromCSV / convertPrimitive for an override of a typed or primitive variable. */
export function overrideValue(name: string, text: string, type: TypeConstraint | undefined, fallback: Value): Value {
  const primitive = (kind: string): Value => {
    if (kind === 'number') {
      if (!/^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text))
        throw new Error(`failed to parse ${name} as number`);
      return Number(text);
    }
    if (kind === 'bool') {
      if (/^(1|t|T|TRUE|true|True)$/.test(text)) return true;
      if (/^(0|f|F|FALSE|false|False)$/.test(text)) return false;
      throw new Error(`failed to parse ${name} as bool`);
    }
    return text;
  };
  if (type && (type.kind === 'list' || type.kind === 'set' || type.kind === 'tuple')) {
    const fields = csvFields(text);
    return convertTo(fields, type.kind === 'tuple' ? type : { kind: 'list', element: type.element }, name);
  }
  if (type && type.kind !== 'any') {
    if (type.kind === 'string' || type.kind === 'number' || type.kind === 'bool') return primitive(type.kind);
    throw new Error(`unsupported type ${constraintName(type)} for variable ${name} (give it as ${name}_JSON)`);
  }
  if (fallback === null || typeof fallback === 'string') return text;
  if (typeof fallback === 'number') return primitive('number');
  if (typeof fallback === 'boolean') return primitive('bool');
  throw new Error(
    `variable ${name} holds a ${Array.isArray(fallback) ? 'tuple' : 'object'}: give it a type to override it`,
  );
}
