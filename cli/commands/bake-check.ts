// `msbuild bake --check`: the build checks of every target (as `bake --call check` in buildx), one
// report per target in name order, without building; exit 1 when any target has a warning.
import { buildOptionsOf } from '../../engine/bake/run.js';
import type { Target } from '../../engine/bake/target.js';
import { check } from '../../engine/check.js';
import { checkWarningEvent } from '../../engine/lint/check.js';
import { checkReportLines } from '../render/check-report.js';
import { jsonLine } from '../render/json.js';

export async function bakeCheck(
  targets: ReadonlyMap<string, Target>,
  options: { json: boolean; allow?: string[] },
): Promise<void> {
  let warned = false;
  for (const name of [...targets.keys()].sort()) {
    const build = buildOptionsOf(targets.get(name) as Target, { allow: options.allow });
    const result = await check({
      context: build.context,
      ...(build.dockerfile !== undefined ? { dockerfile: build.dockerfile } : {}),
      ...(build.dockerfileText !== undefined ? { dockerfileText: build.dockerfileText } : {}),
      ...(build.target !== undefined ? { target: build.target } : {}),
      buildArgs: new Map(build.buildArgs instanceof Map ? build.buildArgs : Object.entries(build.buildArgs ?? {})),
      ...(build.platform !== undefined ? { platform: build.platform } : {}),
    });
    warned ||= result.warnings.length > 0;
    if (options.json) {
      for (const warning of result.warnings)
        process.stdout.write(`${jsonLine({ ...checkWarningEvent(warning), file: `${name}: ${warning.file}` })}\n`);
    } else process.stdout.write(`target ${name}:\n${checkReportLines(result).join('\n')}\n\n`);
  }
  if (warned) process.exitCode = 1;
}
