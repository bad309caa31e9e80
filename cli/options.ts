// Command-line values shared by several commands (build and bake check them alike): --build-arg,
// -f, --pull, --network, --jobs, --progress.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { PullPolicy } from '../engine/options.js';
import { isProgressMode, type ProgressMode } from './render/select.js';
import { UsageError } from './user-error.js';

/** `--pull [policy]`: the flag alone is `always`, as with docker. */
export function pullPolicy(value: string | boolean | undefined): PullPolicy {
  if (value === undefined || value === false || value === 'false') return 'missing';
  if (value === true || value === 'true') return 'always';
  if (value === 'always' || value === 'missing' || value === 'never') return value;
  throw new UsageError(`invalid --pull ${JSON.stringify(value)}: use always, missing or never`);
}

/** `default`, `none`, `host`, or a Docker network's name (RUN containers join it, as in the legacy builder). */
export function networkMode(value: string | undefined): string {
  if (value === undefined || value === '') return 'default';
  if (/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(value) || /^container:[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(value)) return value;
  throw new UsageError(`invalid --network ${JSON.stringify(value)}: use default, none, host or a network's name`);
}

export function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new UsageError(`invalid ${name} ${JSON.stringify(value)}: expected a positive integer`);
  return Number(value);
}

/**
 * The progress mode: `--progress`, else BUILDKIT_PROGRESS (as buildx, the variable applies when the
 * flag is absent or auto); `-q` is quiet and goes with no other mode.
 */
export function progressMode(
  flag: string | undefined,
  options: { quiet?: boolean; env?: NodeJS.ProcessEnv } = {},
): ProgressMode {
  const fromEnv = (options.env ?? process.env).BUILDKIT_PROGRESS;
  const value = (flag === undefined || flag === 'auto') && fromEnv ? fromEnv : (flag ?? 'auto');
  const source = flag === undefined || flag === 'auto' ? (fromEnv ? 'BUILDKIT_PROGRESS' : '--progress') : '--progress';
  if (!isProgressMode(value))
    throw new UsageError(
      `invalid ${source} ${JSON.stringify(value)}: use auto, tty, plain, json, rawjson, quiet or none`,
    );
  if (options.quiet) {
    if (flag !== undefined && flag !== 'auto' && flag !== 'quiet')
      throw new UsageError(`--progress=${flag} and --quiet cannot be used together`);
    return 'quiet';
  }
  return value;
}

/** `--build-arg K=V` (or `K`, which takes K from the environment, as docker does). */
export function parseBuildArgs(values: readonly string[] = []): Map<string, string> {
  const args = new Map<string, string>();
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals === 0) throw new UsageError(`invalid --build-arg ${JSON.stringify(value)}: the name is empty`);
    if (equals < 0) {
      const fromEnv = process.env[value];
      if (fromEnv !== undefined) args.set(value, fromEnv);
      continue;
    }
    args.set(value.slice(0, equals), value.slice(equals + 1));
  }
  return args;
}

/** `--label K=V` pairs; a bare `K` is an empty label, as docker build takes it. */
export function parseLabels(values: readonly string[] = []): Map<string, string> {
  const labels = new Map<string, string>();
  for (const value of values) {
    const equals = value.indexOf('=');
    if (equals === 0) throw new UsageError(`invalid --label ${JSON.stringify(value)}: the key is empty`);
    if (equals < 0) labels.set(value, '');
    else labels.set(value.slice(0, equals), value.slice(equals + 1));
  }
  return labels;
}

export interface DockerfileInput {
  /** Path of the Dockerfile (or `-` for stdin). */
  path: string;
  /** Name used in messages. */
  name: string;
  text: string;
}

/** Reads the Dockerfile: `-f` relative to the working directory, else CONTEXT/Dockerfile. */
export function readDockerfile(context: string, file: string | undefined): DockerfileInput {
  const path =
    file === undefined ? join(context, 'Dockerfile') : file === '-' ? '-' : isAbsolute(file) ? file : resolve(file);
  try {
    const text = path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
    return { path, name: file === undefined ? 'Dockerfile' : file, text };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new UsageError(`cannot read Dockerfile ${path}: ${why}`);
  }
}
