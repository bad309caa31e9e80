// Build checks (BuildKit's Dockerfile linter) over a plan: the file-wide checks on every stage, the
// dispatch checks on the stages the plan holds, under the file's `# check=` config (or the
// BUILDKIT_DOCKERFILE_CHECK build arg), with the violation a build fails on when `error=true`.
import type { IgnoreRules } from '../context/ignore.js';
import { syntaxErrorAt, type DockerfileSyntaxError } from '../dockerfile/errors.js';
import type { CheckWarningEvent } from '../events.js';
import type { BuildPlan } from '../plan/plan.js';
import { runFileChecks } from './file-checks.js';
import { CheckOptionError, fileCheckConfig, Linter, type CheckConfig, type LintWarning } from './linter.js';
import { runStepChecks } from './step-checks.js';

export interface CheckReport {
  warnings: LintWarning[];
  /** With `# check=error=true` and a warning: the error the build fails with, at the first warning. */
  violation?: DockerfileSyntaxError;
}

export const checkBuildArg = 'BUILDKIT_DOCKERFILE_CHECK';

/** The file's check config; a malformed one is an error at the directive, as BuildKit refuses it. */
export function checkConfigOf(plan: BuildPlan): CheckConfig {
  const where = { file: plan.ast.file, source: plan.ast.source };
  const directive = plan.ast.directives.find((d) => d.name === 'check');
  const buildArg = plan.buildArgs.get(checkBuildArg);
  try {
    return fileCheckConfig(directive?.value, buildArg);
  } catch (error) {
    if (!(error instanceof CheckOptionError)) throw error;
    if (buildArg !== undefined)
      throw syntaxErrorAt(
        where,
        { line: 1, column: 1 },
        `failed to parse build-arg:${checkBuildArg}: ${error.message}`,
      );
    throw syntaxErrorAt(
      where,
      directive?.position ?? { line: 1, column: 1 },
      `failed to parse check options: ${error.message}`,
    );
  }
}

/** Runs every check on `plan`: its stages are the ones dispatch checks see (plan all stages for `--check`). */
export function checkPlan(plan: BuildPlan, options: { ignore?: IgnoreRules } = {}): CheckReport {
  const linter = new Linter(checkConfigOf(plan), plan.ast.file);
  runFileChecks(plan, linter);
  for (const stage of plan.stages) runStepChecks(plan, stage, linter, options.ignore);
  const warnings = linter.warnings;
  const message = linter.violation();
  if (message === undefined || warnings.length === 0) return { warnings };
  return {
    warnings,
    violation: syntaxErrorAt({ file: plan.ast.file, source: plan.ast.source }, warnings[0].range.start, message),
  };
}

/** A warning as the build's progress event. */
export function checkWarningEvent(warning: LintWarning): CheckWarningEvent {
  return {
    type: 'check-warning',
    time: Date.now(),
    rule: warning.rule,
    description: warning.description,
    url: warning.url,
    message: warning.message,
    file: warning.file,
    line: warning.range.start.line,
    endLine: warning.range.end.line,
  };
}
