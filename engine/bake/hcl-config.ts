// HCL and JSON bake files evaluated as buildx evaluates them (bake/hclparser): `variable` blocks with
// defaults, types, validations and overrides from the environment (NAME, or NAME_JSON) and `--var`;
// top-level attributes; `function` blocks; `target` blocks with `matrix` and `name`, referring to each
// other as `target.NAME.ATTR`; `group` blocks. Names are resolved when first used, so definition order
// does not matter, and a cycle is an error naming it.
import { AttributeReader, isTargetKey } from './decode.js';
import { attributeNamed, type Block, type Body, type Expr, type Position } from './hcl/ast.js';
import { HclError } from './hcl/errors.js';
import { childScope, Evaluator, typeConstraintOf, type HclFunction, type Scope } from './hcl/evaluate.js';
import { jsonBody } from './hcl/json-syntax.js';
import { parseHcl, parseHclExpression } from './hcl/parser.js';
import { stdlib } from './hcl/stdlib.js';
import { userFunction } from './hcl/user-function.js';
import {
  constraintName,
  convertTo,
  isObject,
  LazyObject,
  plain,
  toStringValue,
  type TypeConstraint,
  type Value,
} from './hcl/values.js';
import { checkTargetName, mergeTarget, type BakeConfig, type Group, type Target, type TargetKey } from './target.js';
import { overrideValue } from './variable-override.js';

export interface HclFile {
  name: string;
  source: string;
  body: Body;
}

export interface VariableInfo {
  name: string;
  description?: string;
  type?: string;
  value?: string;
}

export interface HclOptions {
  /** A variable's override: `--var`, then (unless disabled) the environment. */
  lookupVar(name: string): string | undefined;
  /** Built-in variables (BAKE_LOCAL_PLATFORM, BAKE_CMD_CONTEXT). */
  builtins: Record<string, string>;
}

/** Reads a file as HCL native syntax, or (`.json`) as HCL's JSON syntax: blocks are objects of labels. */
export function parseHclFile(source: string, name: string): HclFile {
  if (name.endsWith('.json')) return { name, source, body: jsonBody(parseHclExpression(source, name), name, source) };
  return { name, source, body: parseHcl(source, name) };
}

const blockTypes = new Set(['variable', 'function', 'target', 'group']);

interface TargetInstance {
  block: Block;
  name: string;
  scope: Scope;
  /** Evaluated attributes, and those being evaluated (a reference cycle). */
  values: Map<string, Value>;
  pending: Set<string>;
}

export class HclConfig {
  private readonly sources = new Map<string, string>();
  private readonly evaluator: Evaluator;
  private readonly reader: AttributeReader;
  private readonly variables = new Map<string, { block: Block; file: string }>();
  private readonly attributes = new Map<string, { expr: Expr; at: Position }>();
  private readonly functions = new Map<string, Block>();
  private readonly targetBlocks: Block[] = [];
  private readonly groupBlocks: Block[] = [];
  private readonly values = new Map<string, Value>();
  private readonly resolving = new Set<string>();
  private readonly userFunctions = new Map<string, HclFunction>();
  private readonly constraints = new Map<string, TypeConstraint>();
  private instances: TargetInstance[] = [];
  readonly root: Scope;

  constructor(
    files: readonly HclFile[],
    private readonly options: HclOptions,
  ) {
    for (const file of files) this.sources.set(file.name, file.source);
    this.evaluator = new Evaluator(this.sources);
    this.reader = new AttributeReader();
    for (const file of files) {
      for (const attribute of file.body.attributes)
        this.attributes.set(attribute.name, { expr: attribute.expr, at: attribute.at });
      for (const block of file.body.blocks) {
        if (!blockTypes.has(block.type))
          this.fail(
            `unsupported block type ${JSON.stringify(block.type)}: use variable, function, target or group`,
            block.at,
          );
        if (block.labels.length !== 1) this.fail(`invalid block label: a ${block.type} block has one name`, block.at);
        const [label] = block.labels;
        if (block.type === 'variable') this.variables.set(label, { block, file: file.name });
        else if (block.type === 'function') this.functions.set(label, block);
        else if (block.type === 'target') this.targetBlocks.push(block);
        else this.groupBlocks.push(block);
      }
    }
    this.root = {
      lookup: (name) => this.lookup(name),
      functionNamed: (name) => this.functionNamed(name),
    };
  }

  private fail(message: string, at: Position): never {
    throw new HclError(message, at, this.sources.get(at.file));
  }

  private attribute(body: Body, name: string) {
    return attributeNamed(body, name);
  }

  private once(key: string, at: Position, compute: () => Value): Value {
    const known = this.values.get(key);
    if (known !== undefined) return known;
    if (this.resolving.has(key)) this.fail(`${key.replace(/^\w+ /, '')}: a reference cycle is not allowed`, at);
    this.resolving.add(key);
    try {
      const value = compute();
      this.values.set(key, value);
      return value;
    } finally {
      this.resolving.delete(key);
    }
  }

  private lookup(name: string): Value | undefined {
    if (Object.hasOwn(this.options.builtins, name)) return this.options.builtins[name];
    if (name === 'target')
      return new LazyObject(
        (target) => this.targetReference(target),
        () => this.instances.map((instance) => instance.name),
      );
    if (name === 'group')
      return new LazyObject(
        (group) => {
          const block = this.groupBlocks.find((candidate) => candidate.labels[0] === group);
          return block ? { targets: this.groupOf(block).targets } : undefined;
        },
        () => this.groupBlocks.map((block) => block.labels[0]),
      );
    const attribute = this.attributes.get(name);
    if (attribute && !this.variables.has(name))
      return this.once(`attribute ${name}`, attribute.at, () => this.evaluator.evaluate(attribute.expr, this.root));
    if (this.variables.has(name)) return this.variable(name);
    return undefined;
  }

  private functionNamed(name: string): HclFunction | undefined {
    const block = this.functions.get(name);
    if (!block) return stdlib.get(name);
    let fn = this.userFunctions.get(name);
    if (!fn) {
      fn = userFunction({
        name,
        block,
        evaluator: this.evaluator,
        root: this.root,
        fail: (message, at) => this.fail(message, at),
      });
      this.userFunctions.set(name, fn);
    }
    return fn;
  }

  /** A variable's value: its default (converted to its type), or its override. */
  private variable(name: string): Value {
    const { block } = this.variables.get(name) as { block: Block };
    return this.once(`variable ${name}`, block.at, () => {
      const typeAttribute = this.attribute(block.body, 'type');
      const type = typeAttribute
        ? typeConstraintOf(typeAttribute.expr, (message, at) => this.fail(message, at))
        : undefined;
      if (type) this.constraints.set(name, type);
      const def = this.attribute(block.body, 'default');
      let value: Value = null;
      if (def) {
        value = this.evaluator.evaluate(def.expr, this.root);
        if (type) {
          try {
            value = convertTo(value, type, `the default of ${name}`);
          } catch (error) {
            this.fail(
              `invalid type ${constraintName(type)} for variable ${name} default value: ${(error as Error).message}`,
              def.at,
            );
          }
        }
      }
      const { text, json } = this.override(name, type !== undefined);
      if (text === undefined) return def || type ? plain(value) : '';
      try {
        if (json && type) return convertTo(JSON.parse(text) as Value, type, name);
        return overrideValue(name, text, type, def ? value : null);
      } catch (error) {
        return this.fail(`cannot use the override of variable ${name}: ${(error as Error).message}`, block.at);
      }
    });
  }

  /** NAME, else NAME_JSON (when no variable has that name), as buildx's valueHasOverride. */
  private override(name: string, favorJson: boolean): { text?: string; json: boolean } {
    const plainText = this.options.lookupVar(name);
    if (plainText === undefined || favorJson) {
      const jsonName = `${name}_JSON`;
      if (!this.variables.has(jsonName) && !Object.hasOwn(this.options.builtins, jsonName)) {
        const json = this.options.lookupVar(jsonName);
        if (json !== undefined) return { text: json, json: true };
      }
    }
    return { ...(plainText !== undefined ? { text: plainText } : {}), json: false };
  }

  /** The instances (names and scopes) a target block makes: one, or one per matrix combination. */
  private expand(block: Block): TargetInstance[] {
    const matrix = this.attribute(block.body, 'matrix');
    const nameAttribute = this.attribute(block.body, 'name');
    let scopes: Array<Record<string, Value>> = [{}];
    if (matrix) {
      const value = plain(this.evaluator.evaluate(matrix.expr, this.root));
      if (!isObject(value)) this.fail('matrix must be a map', matrix.at);
      for (const key of Object.keys(value).sort()) {
        const options = value[key];
        if (!Array.isArray(options)) this.fail('matrix values must be a list', matrix.at);
        scopes = options.flatMap((option) => scopes.map((scope) => ({ ...scope, [key]: option })));
      }
    } else if (nameAttribute) this.fail('name requires matrix', nameAttribute.at);
    const names = new Set<string>();
    return scopes.map((variables) => {
      const scope = childScope(this.root, variables);
      let name = block.labels[0];
      checkTargetName(name, `${block.at.file}:${block.at.line}:${block.at.column}: `);
      if (nameAttribute) {
        const value = this.evaluator.evaluate(nameAttribute.expr, scope);
        name = toStringValue(value, 'name');
        checkTargetName(name, `${nameAttribute.at.file}:${nameAttribute.at.line}:${nameAttribute.at.column}: `);
      }
      if (names.has(name)) this.fail(`duplicate name ${JSON.stringify(name)}`, (nameAttribute ?? block).at);
      names.add(name);
      return { block, name, scope, values: new Map(), pending: new Set() };
    });
  }

  private evaluateAttribute(instance: TargetInstance, name: string): Value | undefined {
    const attribute = this.attribute(instance.block.body, name);
    if (!attribute) return undefined;
    const known = instance.values.get(name);
    if (known !== undefined) return known;
    if (instance.pending.has(name))
      this.fail(`reference cycle not allowed for target.${instance.name}.${name}`, attribute.at);
    instance.pending.add(name);
    try {
      const value = this.evaluator.evaluate(attribute.expr, instance.scope);
      instance.values.set(name, value);
      return value;
    } finally {
      instance.pending.delete(name);
    }
  }

  /** `target.NAME` as an object whose attributes are evaluated when read (null when unset). */
  private targetReference(name: string): Value | undefined {
    const instance = [...this.instances].reverse().find((candidate) => candidate.name === name);
    if (!instance) return undefined;
    return new LazyObject(
      (attr) =>
        attr === 'name'
          ? instance.name
          : isTargetKey(attr)
            ? (this.evaluateAttribute(instance, attr) ?? null)
            : undefined,
      () => ['name', ...instance.block.body.attributes.map((attribute) => attribute.name).filter(isTargetKey)],
    );
  }

  private groupOf(block: Block): Group {
    const group: Group = { name: block.labels[0], targets: [] };
    for (const attribute of block.body.attributes) {
      if (attribute.name === 'matrix' || attribute.name === 'name')
        this.fail(`${attribute.name} is not supported for groups`, attribute.at);
      const value = this.evaluator.evaluate(attribute.expr, this.root);
      if (attribute.name === 'targets') group.targets = this.reader.strings(value, 'targets', attribute.at);
      else if (attribute.name === 'description') group.description = toStringValue(value, 'description');
      else
        this.fail(
          `unsupported argument ${JSON.stringify(attribute.name)} in a group: use targets or description`,
          attribute.at,
        );
    }
    return group;
  }

  /** Checks every variable's validation blocks, after all variables are known. */
  private validate(): void {
    for (const [name, { block }] of this.variables) {
      this.variable(name);
      for (const rule of block.body.blocks.filter((inner) => inner.type === 'validation')) {
        const condition = this.attribute(rule.body, 'condition');
        const message = this.attribute(rule.body, 'error_message');
        if (!condition) this.fail('a validation block needs a condition', rule.at);
        const result = this.evaluator.evaluate(condition.expr, this.root);
        if (result !== true && result !== 'true') {
          if (result === null || (result !== false && result !== 'false'))
            this.fail('invalid condition result: it must be true or false', condition.at);
          const text = message
            ? toStringValue(this.evaluator.evaluate(message.expr, this.root), 'error_message')
            : 'This check failed, but has an invalid error message.';
          this.fail(`validation failed: ${text}`, condition.at);
        }
      }
      for (const inner of block.body.blocks)
        if (inner.type !== 'validation')
          this.fail(`unsupported block type ${JSON.stringify(inner.type)} in a variable`, inner.at);
      for (const attribute of block.body.attributes)
        if (!['default', 'type', 'description'].includes(attribute.name))
          this.fail(
            `unsupported argument ${JSON.stringify(attribute.name)} in a variable: use default, type, description or validation`,
            attribute.at,
          );
    }
  }

  /** Evaluates everything: the targets and groups, with matrix targets renamed and grouped under their block's name. */
  config(): BakeConfig {
    this.validate();
    for (const [name, block] of this.functions) {
      if (!this.functionNamed(name)) this.fail(`function ${name} is not valid`, block.at);
    }
    this.instances = this.targetBlocks.flatMap((block) => this.expand(block));
    const targets: Target[] = [];
    for (const instance of this.instances) {
      const target: Target = { name: instance.name };
      for (const attribute of instance.block.body.attributes) {
        if (attribute.name === 'name' || attribute.name === 'matrix') continue;
        if (!isTargetKey(attribute.name))
          this.fail(
            `unsupported argument: an argument named ${JSON.stringify(attribute.name)} is not expected in a target`,
            attribute.at,
          );
        const value = this.evaluateAttribute(instance, attribute.name) ?? null;
        if (value === null) continue;
        Object.assign(target, { [attribute.name]: this.readAttribute(attribute.name, value, attribute.at) });
      }
      if (instance.block.body.blocks.length > 0)
        this.fail('a target has no blocks inside', instance.block.body.blocks[0].at);
      const same = targets.find((other) => other.name === target.name);
      if (same) mergeTarget(same, target);
      else targets.push(target);
    }
    const groups = this.groupBlocks.map((block) => this.groupOf(block));
    // A matrix block's label becomes a group of the targets it made (buildx's Renamed).
    for (const block of this.targetBlocks) {
      const names = this.instances.filter((instance) => instance.block === block).map((instance) => instance.name);
      if (names.length === 1 && names[0] === block.labels[0]) continue;
      groups.push({ name: block.labels[0], targets: [...new Set(names)] });
    }
    return { targets, groups };
  }

  private readAttribute(key: TargetKey, value: Value, at: Position): unknown {
    try {
      return this.reader.read(key, value, at);
    } catch (error) {
      if (error instanceof HclError && !error.detail && this.sources.has(at.file))
        throw new HclError(error.message.replace(/^[^:]+:\d+:\d+: /, ''), at, this.sources.get(at.file));
      throw error;
    }
  }

  /** Every variable with its description, type and value, as `--list variables` shows them. */
  variableList(): VariableInfo[] {
    return [...this.variables.keys()].sort().map((name) => {
      const { block } = this.variables.get(name) as { block: Block };
      const value = this.variable(name);
      const type = this.constraints.get(name);
      const description = this.attribute(block.body, 'description');
      const text =
        value === null
          ? undefined
          : typeof value === 'string'
            ? value
            : typeof value === 'number' || typeof value === 'boolean'
              ? toStringValue(value)
              : JSON.stringify(plain(value));
      return {
        name,
        ...(description
          ? { description: toStringValue(this.evaluator.evaluate(description.expr, this.root), 'description') }
          : {}),
        ...(type ? { type: constraintName(type) } : {}),
        ...(text !== undefined ? { value: text } : {}),
      };
    });
  }
}
