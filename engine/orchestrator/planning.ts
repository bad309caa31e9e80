// A build's plan from its Dockerfile: parsed, planned with the base images the worker resolves (and
// the named contexts), then held to the build's entitlements and checks; the checks' warnings and
// unused build args are reported before any step runs.
import type { IgnoreRules } from '../context/ignore.js';
import { parseDockerfile } from '../dockerfile/parser.js';
import type { BuildEvent } from '../events.js';
import { checkPlan, checkWarningEvent } from '../lint/check.js';
import type { ResolvedOptions } from '../options.js';
import { checkEntitlements, grantedFor } from '../plan/entitlements.js';
import { parseNamedContexts } from '../plan/named-contexts.js';
import { planFromAst, type BuildPlan } from '../plan/plan.js';
import type { BaseImages } from '../steps/base-images.js';

export async function planBuild(context: {
  options: ResolvedOptions;
  dockerfileText: string;
  baseImages: BaseImages;
  ignoreRules: IgnoreRules;
  emit: (event: BuildEvent) => void;
}): Promise<BuildPlan> {
  const { options } = context;
  const ast = parseDockerfile(context.dockerfileText, { file: options.dockerfileName });
  const plan = await planFromAst(ast, {
    file: options.dockerfileName,
    target: options.target,
    buildArgs: options.buildArgs,
    platform: options.platform,
    // An image that cannot be had fails its FROM step when the stage starts, so the error names it.
    resolveBaseImage: async (ref) => (await context.baseImages.resolve(ref).catch(() => undefined))?.config,
    ...(options.buildContexts.length > 0 ? { namedContexts: parseNamedContexts(options.buildContexts) } : {}),
  });
  checkEntitlements(plan, grantedFor(options.allow, options.network));
  const checks = checkPlan(plan, { ignore: context.ignoreRules });
  for (const warning of checks.warnings) context.emit(checkWarningEvent(warning));
  if (checks.violation) throw checks.violation;
  for (const arg of plan.unusedBuildArgs)
    context.emit({
      type: 'warning',
      time: Date.now(),
      message: `build arg ${arg} was given but no stage declares it (ARG ${arg})`,
    });
  return plan;
}
