// `function` blocks of a bake file, as buildx's userfunc reads them: `params`, an optional
// `variadic_params` and a `result` evaluated in a child scope of the file's root with the arguments bound.
import { attributeNamed, type Block, type Position } from './ast.js';
import { childScope, type Evaluator, type HclFunction, type Scope } from './evaluate.js';
import type { Value } from './values.js';

export interface UserFunctionOptions {
  name: string;
  block: Block;
  evaluator: Evaluator;
  /** The file's root scope: a function sees variables and other functions, not a target's matrix. */
  root: Scope;
  fail(message: string, at: Position): never;
}

export function userFunction(options: UserFunctionOptions): HclFunction {
  const { name, block, evaluator, root, fail } = options;
  const params = attributeNamed(block.body, 'params');
  const variadic = attributeNamed(block.body, 'variadic_params');
  const result = attributeNamed(block.body, 'result');
  if (!params || params.expr.kind !== 'tuple') options.fail(`function ${name} needs params = [...]`, block.at);
  if (!result) options.fail(`function ${name} needs a result`, block.at);
  const names = params.expr.items.map((item) =>
    item.kind === 'variable' ? item.name : fail('each parameter name must be an identifier', item.at),
  );
  const rest = variadic
    ? variadic.expr.kind === 'variable'
      ? variadic.expr.name
      : fail('variadic_params must be an identifier', variadic.at)
    : undefined;
  return (args: Value[]) => {
    if (args.length < names.length || (rest === undefined && args.length > names.length))
      fail(
        `function ${name} takes ${rest ? 'at least ' : ''}${names.length} argument(s), not ${args.length}`,
        block.at,
      );
    const bound: Record<string, Value> = Object.fromEntries(names.map((param, i) => [param, args[i]]));
    if (rest !== undefined) bound[rest] = args.slice(names.length);
    return evaluator.evaluate(result.expr, childScope(root, bound));
  };
}
