// `msbuild plan`: the stage graph, steps and parallel levels of a build, without Docker.
import { planFromAst } from '../../engine/plan/plan.js';
import { parseDockerfile } from '../../engine/dockerfile/parser.js';
import { readDockerfile, parseBuildArgs } from '../options.js';
import { renderPlan, type PlanFormat } from '../render/plan.js';
import { UsageError } from '../user-error.js';

export interface PlanCommandOptions {
  file?: string;
  target?: string;
  buildArg?: string[];
  platform?: string;
  format: string;
}

const formats: readonly PlanFormat[] = ['text', 'json', 'dot', 'mermaid'];

export async function planCommand(context: string, options: PlanCommandOptions): Promise<void> {
  if (!formats.includes(options.format as PlanFormat)) {
    throw new UsageError(`unknown --format ${JSON.stringify(options.format)}: use ${formats.join(', ')}`);
  }
  const dockerfile = readDockerfile(context, options.file);
  const ast = parseDockerfile(dockerfile.text, { file: dockerfile.name });
  const plan = await planFromAst(ast, {
    target: options.target,
    buildArgs: parseBuildArgs(options.buildArg),
    platform: options.platform,
  });
  process.stdout.write(`${renderPlan(plan, options.format as PlanFormat)}\n`);
}
