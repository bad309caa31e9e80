// What an entry of the option table says about a flag: its spelling, the commands that take it, whether
// msbuild implements it, and where users know it from; and how a spelling is read (long, short, bool).

export type CommandName =
  | 'build'
  | 'plan'
  | 'explain'
  | 'check'
  | 'bake'
  | 'cache'
  | 'cache-ls'
  | 'cache-prune'
  | 'cache-export'
  | 'cache-import'
  | 'debug-ast';
export type Support = 'works' | 'no-op' | 'refused';
/** Where users know the flag from: buildx, the legacy `docker build`, bake, or msbuild only. */
export type Origin = 'buildx' | 'legacy' | 'bake' | 'msbuild';

export interface OptionSpec {
  /** Commander syntax: `-f, --file <path>`; a Go-style bool flag has no argument (`--load`, also `--load=false`). */
  flags: string;
  description: string;
  commands: readonly CommandName[];
  support: Support;
  origin: Origin;
  /** Repeating the flag adds to the list. */
  repeatable?: boolean;
  /** What msbuild does with it, in the README's flag table (why it is a no-op or refused). */
  note?: string;
  /** The value of an optional-value flag when given alone, and its values that are not a flag's value. */
  bare?: { value: string; values: readonly string[] };
}

/** `--file` of `-f, --file <path>`. */
export function longFlag(spec: OptionSpec): string {
  const match = /--[a-z][a-z0-9-]*/.exec(spec.flags);
  if (!match) throw new Error(`internal: option without a long flag: ${spec.flags}`);
  return match[0];
}

/** `-f` of `-f, --file <path>`. */
export function shortFlag(spec: OptionSpec): string | undefined {
  return /^-[a-zA-Z](?=,)/.exec(spec.flags)?.[0];
}

/** A Go-style bool flag: given alone it is true, and it also takes `=true|false`. */
export function isBoolFlag(spec: OptionSpec): boolean {
  return !/[<[]/.test(spec.flags);
}
