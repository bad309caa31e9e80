// Evaluates HCL expressions as hclsyntax does: templates (a template that is one interpolation keeps
// its value's type), traversals, splats, for expressions, operators with cty's conversions, function
// calls (with `...`), and the special forms `can`, `try` and `convert` that see their arguments'
// failures or types instead of values.
import { MsbuildError } from '../../errors.js';
import type { Expr, Position, TemplatePart } from './ast.js';
import { keywordOf } from './ast.js';
import { HclError } from './errors.js';
import {
  ConversionError,
  convertTo,
  isObject,
  LazyObject,
  plain,
  toBool,
  toList,
  toNumber,
  toStringValue,
  typeName,
  valuesEqual,
  type TypeConstraint,
  type Value,
  type ValueObject,
} from './values.js';

export type HclFunction = (args: Value[]) => Value;

/** What names mean where an expression is evaluated. */
export interface Scope {
  /** The value of a name, or undefined when nothing of that name exists. */
  lookup(name: string): Value | undefined;
  functionNamed(name: string): HclFunction | undefined;
}

/** A scope adding names (for-expression and matrix variables) to another. */
export function childScope(parent: Scope, names: Record<string, Value>): Scope {
  return {
    lookup: (name) => (Object.hasOwn(names, name) ? names[name] : parent.lookup(name)),
    functionNamed: (name) => parent.functionNamed(name),
  };
}

/** A failure inside a function, reported at the call. */
export class FunctionError extends MsbuildError {
  override readonly code = 'MSBUILD_BAKE_FUNCTION';
}

/** `string`, `list(string)`, `object({a = number})`: a type expression of a variable or `convert`. */
export function typeConstraintOf(expr: Expr, fail: (message: string, at: Position) => never): TypeConstraint {
  const keyword = keywordOf(expr);
  if (keyword === 'string' || keyword === 'number' || keyword === 'bool' || keyword === 'any') return { kind: keyword };
  if (expr.kind === 'call') {
    const [arg] = expr.args;
    if ((expr.name === 'list' || expr.name === 'set' || expr.name === 'map') && expr.args.length === 1)
      return { kind: expr.name, element: typeConstraintOf(arg, fail) };
    if (expr.name === 'tuple' && expr.args.length === 1 && arg.kind === 'tuple')
      return { kind: 'tuple', elements: arg.items.map((item) => typeConstraintOf(item, fail)) };
    if (expr.name === 'object' && expr.args.length === 1 && arg.kind === 'object')
      return {
        kind: 'object',
        attributes: Object.fromEntries(
          arg.items.map((item) => [item.keyword ?? keywordOf(item.key) ?? '', typeConstraintOf(item.value, fail)]),
        ),
      };
  }
  return fail(
    'a type must be string, number, bool, any, list(T), set(T), map(T), tuple([...]) or object({...})',
    expr.at,
  );
}

export class Evaluator {
  /** `sources` give error messages the line they point at. */
  constructor(private readonly sources: ReadonlyMap<string, string> = new Map()) {}

  fail(message: string, at: Position): never {
    throw new HclError(message, at, this.sources.get(at.file));
  }

  /** Runs `work`, turning a conversion or function failure into an error at `at`. */
  private at<T>(at: Position, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof ConversionError || error instanceof FunctionError) this.fail(error.message, at);
      throw error;
    }
  }

  evaluate(expr: Expr, scope: Scope): Value {
    switch (expr.kind) {
      case 'literal':
        return expr.value;
      case 'parens':
        return this.evaluate(expr.inner, scope);
      case 'template':
        return this.template(expr.parts, scope, expr.at);
      case 'variable': {
        const value = scope.lookup(expr.name);
        if (value === undefined)
          this.fail(`unknown variable: there is no variable named ${JSON.stringify(expr.name)}`, expr.at);
        return value;
      }
      case 'attr':
        return this.attribute(this.evaluate(expr.object, scope), expr.name, expr.at);
      case 'index':
        return this.index(this.evaluate(expr.object, scope), this.evaluate(expr.key, scope), expr.at);
      case 'splat': {
        const source = this.evaluate(expr.source, scope);
        const items = source === null ? [] : Array.isArray(source) ? source : [source];
        return items.map((item) =>
          expr.steps.reduce<Value>(
            (value, step) =>
              step.kind === 'attr'
                ? this.attribute(value, step.name, expr.at)
                : this.index(value, this.evaluate(step.key, scope), expr.at),
            item,
          ),
        );
      }
      case 'call':
        return this.call(expr, scope);
      case 'tuple':
        return expr.items.map((item) => this.evaluate(item, scope));
      case 'object': {
        const result: ValueObject = {};
        for (const item of expr.items) {
          const key =
            item.keyword ?? this.at(item.key.at, () => toStringValue(this.evaluate(item.key, scope), 'an object key'));
          result[key] = this.evaluate(item.value, scope);
        }
        return result;
      }
      case 'for':
        return this.forExpression(expr, scope);
      case 'unary': {
        const operand = this.evaluate(expr.operand, scope);
        return this.at(expr.at, () =>
          expr.op === '!' ? !toBool(operand, 'the operand of !') : -toNumber(operand, 'the operand of -'),
        );
      }
      case 'binary':
        return this.binary(expr, scope);
      case 'conditional': {
        const condition = this.evaluate(expr.condition, scope);
        const chosen = this.at(expr.at, () => toBool(condition, 'the condition'));
        return this.evaluate(chosen ? expr.then : expr.else, scope);
      }
    }
  }

  private template(parts: TemplatePart[], scope: Scope, at: Position): Value {
    // "${x}" alone is x itself, of whatever type.
    if (parts.length === 1 && parts[0].kind === 'interpolation') return this.evaluate(parts[0].expr, scope);
    return this.templateText(parts, scope, at);
  }

  private templateText(parts: TemplatePart[], scope: Scope, at: Position): string {
    let text = '';
    for (const part of parts) {
      if (part.kind === 'text') text += part.text;
      else if (part.kind === 'interpolation') {
        const value = this.evaluate(part.expr, scope);
        if (value === null)
          this.fail('invalid template interpolation value: the expression result is null', part.expr.at);
        text += this.at(part.expr.at, () => toStringValue(value, 'an interpolated value'));
      } else if (part.kind === 'if') {
        const condition = this.at(part.at, () => toBool(this.evaluate(part.condition, scope), 'the %{if} condition'));
        text += this.templateText(condition ? part.then : part.else, scope, at);
      } else {
        for (const [key, value] of this.entries(this.evaluate(part.collection, scope), part.at))
          text += this.templateText(
            part.body,
            childScope(scope, { ...(part.keyVar ? { [part.keyVar]: key } : {}), [part.valueVar]: value }),
            at,
          );
      }
    }
    return text;
  }

  attribute(value: Value, name: string, at: Position): Value {
    if (value instanceof LazyObject) {
      const member = value.member(name);
      if (member === undefined) this.fail(`unsupported attribute: there is no ${JSON.stringify(name)}`, at);
      return member;
    }
    if (isObject(value)) {
      if (!Object.hasOwn(value, name))
        this.fail(`unsupported attribute: this object has no attribute ${JSON.stringify(name)}`, at);
      return value[name];
    }
    return this.fail(`unsupported attribute ${JSON.stringify(name)}: a ${typeName(value)} has no attributes`, at);
  }

  index(value: Value, key: Value, at: Position): Value {
    if (Array.isArray(value)) {
      const i = this.at(at, () => toNumber(key, 'the index'));
      if (!Number.isInteger(i) || i < 0 || i >= value.length)
        this.fail(`invalid index: ${i} is out of range for a list of ${value.length}`, at);
      return value[i];
    }
    if (isObject(value) || value instanceof LazyObject) {
      const name = this.at(at, () => toStringValue(key, 'the key'));
      return this.attribute(value, name, at);
    }
    return this.fail(`cannot index a ${typeName(value)}`, at);
  }

  /** Keys and values of a collection: indices of a sequence, sorted keys of an object. */
  entries(collection: Value, at: Position): Array<[Value, Value]> {
    if (Array.isArray(collection)) return collection.map((item, i) => [i, item]);
    if (isObject(collection) || collection instanceof LazyObject) {
      const object = plain(collection) as ValueObject;
      return Object.keys(object)
        .sort()
        .map((key) => [key, object[key]]);
    }
    return this.fail(`cannot iterate over a ${typeName(collection)}`, at);
  }

  private forExpression(expr: Extract<Expr, { kind: 'for' }>, scope: Scope): Value {
    const tuple: Value[] = [];
    const object: ValueObject = {};
    for (const [key, value] of this.entries(this.evaluate(expr.collection, scope), expr.collection.at)) {
      const inner = childScope(scope, { ...(expr.keyVar ? { [expr.keyVar]: key } : {}), [expr.valueVar]: value });
      if (
        expr.condition &&
        !this.at(expr.condition.at, () => toBool(this.evaluate(expr.condition as Expr, inner), 'the if clause'))
      )
        continue;
      const result = this.evaluate(expr.valueExpr, inner);
      if (!expr.object) {
        tuple.push(result);
        continue;
      }
      const keyExpr = expr.keyExpr as Expr;
      const name = this.at(keyExpr.at, () => toStringValue(this.evaluate(keyExpr, inner), 'a key'));
      if (expr.grouping) object[name] = [...((object[name] as Value[] | undefined) ?? []), result];
      else if (Object.hasOwn(object, name))
        this.fail(`duplicate object key ${JSON.stringify(name)} (add ... after the value to group them)`, keyExpr.at);
      else object[name] = result;
    }
    return expr.object ? object : tuple;
  }

  private binary(expr: Extract<Expr, { kind: 'binary' }>, scope: Scope): Value {
    const { op, left: leftExpr, right: rightExpr, at } = expr;
    if (op === '&&' || op === '||') {
      // HCL evaluates both sides; so do we (an error on either side is reported).
      const left = this.at(at, () => toBool(this.evaluate(leftExpr, scope), `the left operand of ${op}`));
      const right = this.at(at, () => toBool(this.evaluate(rightExpr, scope), `the right operand of ${op}`));
      return op === '&&' ? left && right : left || right;
    }
    const left = this.evaluate(leftExpr, scope);
    const right = this.evaluate(rightExpr, scope);
    if (op === '==') return valuesEqual(left, right);
    if (op === '!=') return !valuesEqual(left, right);
    return this.at(at, () => {
      const a = toNumber(left, `the left operand of ${op}`);
      const b = toNumber(right, `the right operand of ${op}`);
      switch (op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          if (b === 0) throw new FunctionError('division by zero');
          return a / b;
        case '%':
          if (b === 0) throw new FunctionError('modulo by zero');
          return a % b;
        case '<':
          return a < b;
        case '>':
          return a > b;
        case '<=':
          return a <= b;
        default:
          return a >= b;
      }
    });
  }

  private call(expr: Extract<Expr, { kind: 'call' }>, scope: Scope): Value {
    if (expr.name === 'can' || expr.name === 'try') return this.specialForm(expr, scope);
    if (expr.name === 'convert') {
      if (expr.args.length !== 2) this.fail('convert takes a value and a type', expr.at);
      const type = typeConstraintOf(expr.args[1], (message, at) => this.fail(message, at));
      const value = this.evaluate(expr.args[0], scope);
      return this.at(expr.at, () => convertTo(value, type));
    }
    const fn = scope.functionNamed(expr.name);
    if (!fn) this.fail(`call to unknown function: there is no function named ${JSON.stringify(expr.name)}`, expr.at);
    const args = expr.args.map((arg) => this.evaluate(arg, scope));
    if (expr.expandFinal) {
      const last = args.pop();
      args.push(...this.at(expr.at, () => toList(last ?? null, 'the argument expanded with ...')));
    }
    return this.at(expr.at, () => fn(args));
  }

  private specialForm(expr: Extract<Expr, { kind: 'call' }>, scope: Scope): Value {
    const failed = (error: unknown) =>
      error instanceof HclError || error instanceof ConversionError || error instanceof FunctionError;
    if (expr.name === 'can') {
      if (expr.args.length !== 1) this.fail('can takes one argument', expr.at);
      try {
        plain(this.evaluate(expr.args[0], scope));
        return true;
      } catch (error) {
        if (failed(error)) return false;
        throw error;
      }
    }
    let last: unknown;
    for (const arg of expr.args) {
      try {
        return this.evaluate(arg, scope);
      } catch (error) {
        if (!failed(error)) throw error;
        last = error;
      }
    }
    return this.fail(
      `no expression given to try succeeded${last instanceof Error ? `; the last failed with: ${last.message}` : ''}`,
      expr.at,
    );
  }
}
