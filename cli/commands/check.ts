// `msbuild check [PATH]` and `msbuild build --check`: the build checks without building, printed as
// buildx prints them (or as `check-warning` JSON lines with --progress=json); exit 1 on a warning.
import { check } from '../../engine/check.js';
import { checkWarningEvent } from '../../engine/lint/check.js';
import type { OptionValues } from '../option-parsing.js';
import { parseBuildArgs } from '../options.js';
import { checkReportLines } from '../render/check-report.js';
import { jsonLine } from '../render/json.js';

export async function checkCommand(context: string, values: OptionValues): Promise<void> {
  const result = await check({
    context,
    dockerfile: values.dockerfile,
    target: values.target,
    buildArgs: parseBuildArgs(values.buildArgs),
    platform: values.platform,
  });
  if (values.progress === 'json') {
    for (const warning of result.warnings) process.stdout.write(`${jsonLine(checkWarningEvent(warning))}\n`);
  } else {
    process.stdout.write(`${checkReportLines(result).join('\n')}\n`);
    if (!result.daemon)
      process.stderr.write(
        "note: no Docker daemon answered: variables were not checked against base images' environments\n",
      );
  }
  if (result.warnings.length > 0) process.exitCode = 1;
}
