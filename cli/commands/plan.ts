// `msbuild plan`: the stage graph, steps and parallel levels of a build, without Docker.
import { parseDockerfile } from '../../engine/dockerfile/parser.js';
import { planFromAst } from '../../engine/plan/plan.js';
import type { OptionValues } from '../option-parsing.js';
import { parseBuildArgs, readDockerfile } from '../options.js';
import { renderPlan, type PlanFormat } from '../render/plan.js';
import { UsageError } from '../user-error.js';

const formats: readonly PlanFormat[] = ['text', 'json', 'dot', 'mermaid'];

export async function planCommand(context: string, values: OptionValues): Promise<void> {
  const format = values.format ?? 'text';
  if (!formats.includes(format as PlanFormat)) {
    throw new UsageError(`unknown --format ${JSON.stringify(format)}: use ${formats.join(', ')}`);
  }
  const dockerfile = readDockerfile(context, values.dockerfile);
  const ast = parseDockerfile(dockerfile.text, { file: dockerfile.name });
  const plan = await planFromAst(ast, {
    target: values.target,
    buildArgs: parseBuildArgs(values.buildArgs),
    platform: values.platform === 'local' ? undefined : values.platform,
  });
  process.stdout.write(`${renderPlan(plan, format as PlanFormat)}\n`);
}
