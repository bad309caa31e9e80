// Command-line values shared by several commands (build and bake check them alike): --build-arg,
// -f, --pull, --network, --jobs, --progress, repeatable flags.
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { PullPolicy } from '../engine/build.js';
import { isProgressMode, type ProgressMode } from './render/select.js';
import { UsageError } from './user-error.js';

/** Commander reducer for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--pull [policy]`: the flag alone is `always`, as with docker. */
export function pullPolicy(value: string | boolean | undefined): PullPolicy {
  if (value === undefined || value === false || value === 'false') return 'missing';
  if (value === true || value === 'true') return 'always';
  if (value === 'always' || value === 'missing' || value === 'never') return value;
  throw new UsageError(`invalid --pull ${JSON.stringify(value)}: use always, missing or never`);
}

export function networkMode(value: string | undefined): 'default' | 'none' | 'host' {
  if (value === undefined) return 'default';
  if (value === 'default' || value === 'none' || value === 'host') return value;
  throw new UsageError(`invalid --network ${JSON.stringify(value)}: use default, none or host`);
}

export function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new UsageError(`invalid ${name} ${JSON.stringify(value)}: expected a positive integer`);
  return Number(value);
}

export function progressMode(value: string): ProgressMode {
  if (!isProgressMode(value)) throw new UsageError(`invalid --progress ${JSON.stringify(value)}: use auto, tty, plain, json or quiet`);
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

const pullValues = new Set(['always', 'missing', 'never', 'true', 'false']);

/**
 * `--pull` is docker build's boolean flag, and msbuild also takes a policy after it. A word after it
 * that is no policy (`--pull .`) is the next argument, not the flag's value: it becomes `--pull=always`.
 */
export function separatePullFlag(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((arg, index) => {
    const next = argv[index + 1];
    const beforeEnd = end < 0 || index < end;
    return arg === '--pull' && beforeEnd && next !== undefined && !pullValues.has(next) && !next.startsWith('-') ? '--pull=always' : arg;
  });
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
  const path = file === undefined ? join(context, 'Dockerfile') : file === '-' ? '-' : isAbsolute(file) ? file : resolve(file);
  try {
    const text = path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
    return { path, name: file === undefined ? 'Dockerfile' : file, text };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new UsageError(`cannot read Dockerfile ${path}: ${why}`);
  }
}
