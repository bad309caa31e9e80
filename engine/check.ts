// `check(options)`: BuildKit's build checks on a Dockerfile without building it (`msbuild check`,
// `msbuild build --check`). Without a target every stage is checked, as BuildKit's lint request does.
// Base images' configs come from the daemon when it answers and has them (nothing is pulled); a stage
// on an image it does not know is checked without that image's environment.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { BuildError } from './build-error.js';
import { loadIgnoreRules } from './context/ignore.js';
import { connectDocker, pingDaemon, type DockerClient } from './docker/daemon.js';
import { readImageConfig } from './docker/images.js';
import { parseDockerfile } from './dockerfile/parser.js';
import { checkPlan } from './lint/check.js';
import type { LintWarning } from './lint/linter.js';
import { planFromAst } from './plan/plan.js';

export interface CheckOptions {
  context: string;
  /** Dockerfile path (default: CONTEXT/Dockerfile); relative paths are relative to the working directory. */
  dockerfile?: string;
  dockerfileText?: string;
  /** Check the stages this target needs; without one, every stage. */
  target?: string;
  buildArgs?: ReadonlyMap<string, string>;
  platform?: string;
  docker?: DockerClient;
}

export interface CheckResult {
  /** File name used in messages, and its text (for excerpts). */
  file: string;
  source: string;
  warnings: LintWarning[];
  /** False when no daemon answered: images' environments were unknown. */
  daemon: boolean;
}

export async function check(options: CheckOptions): Promise<CheckResult> {
  const contextDir = resolve(options.context);
  const path =
    options.dockerfile === undefined
      ? join(contextDir, 'Dockerfile')
      : isAbsolute(options.dockerfile)
        ? options.dockerfile
        : resolve(options.dockerfile);
  let text = options.dockerfileText;
  if (text === undefined) {
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new BuildError(`cannot read Dockerfile ${path}: ${(error as Error).message}`);
    }
  }
  const file = options.dockerfile ?? 'Dockerfile';
  const docker = options.docker ?? connectDocker();
  const daemon = await pingDaemon(docker, 2000).then(
    () => true,
    () => false,
  );
  const ast = parseDockerfile(text, { file });
  const plan = await planFromAst(ast, {
    file,
    target: options.target,
    allStages: options.target === undefined,
    ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}),
    ...(options.platform ? { platform: options.platform } : {}),
    resolveBaseImage: async (ref) =>
      daemon ? (await readImageConfig(docker, ref).catch(() => undefined))?.config : undefined,
  });
  const ignore = await loadIgnoreRules(contextDir, options.dockerfileText !== undefined ? undefined : path);
  return { file, source: ast.source, warnings: checkPlan(plan, { ignore }).warnings, daemon };
}
