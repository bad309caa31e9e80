// Commander declarations made from the option table, and the argument forms docker's flag library
// (pflag) takes that commander does not: Go-style bools (`--load`, `--load=false`, `-q`), and `--pull`
// alone before the context. Values land under the table's keys; repeatable flags accumulate.
import { Option, type Command } from 'commander';
import {
  isBoolFlag,
  longFlag,
  optionsOf,
  optionTable,
  shortFlag,
  type CommandName,
  type OptionKey,
} from './option-table.js';
import { UsageError } from './user-error.js';

/** What commander parsed for a command: strings, lists for repeatable flags, `true`/`false` text for bools. */
export type OptionValues = {
  [K in OptionKey]?: (typeof optionTable)[K] extends { repeatable: true } ? string[] : string;
};

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Declares the table's options of `name` on `command`; refused and no-op flags parse but are not in --help. */
export function addTableOptions(command: Command, name: CommandName): Command {
  for (const [key, spec] of optionsOf(name)) {
    const option = new Option(isBoolFlag(spec) ? `${spec.flags} [bool]` : spec.flags, spec.description);
    // Help shows the flag as docker does (`--load`); `=false` is still accepted.
    option.flags = spec.flags;
    // `--no-cache` is a flag of its own, not the negation of `--cache`.
    option.negate = false;
    option.attributeName = () => key;
    if ('repeatable' in spec && spec.repeatable) option.argParser(collect);
    if (spec.support !== 'works') option.hideHelp();
    command.addOption(option);
  }
  return command;
}

/** Go's strconv.ParseBool, which docker's bool flags use. */
export function parseGoBool(flag: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new UsageError(`invalid value ${JSON.stringify(value)} for ${flag}: expected true or false`);
}

/**
 * Rewrites a bool flag given alone (`--load`, `-q`) to `--load=true`, so commander never takes the
 * next argument as its value, and `--pull` alone to `--pull=always` unless a policy follows.
 */
export function normalizeArgv(argv: readonly string[]): string[] {
  const bools = new Map<string, string>();
  const bare = new Map<string, { value: string; values: readonly string[] }>();
  for (const spec of Object.values(optionTable)) {
    const long = longFlag(spec);
    if (isBoolFlag(spec)) {
      bools.set(long, long);
      const short = shortFlag(spec);
      if (short) bools.set(short, long);
    } else if ('bare' in spec) bare.set(long, spec.bare);
  }
  const end = argv.indexOf('--');
  return argv.map((arg, index) => {
    if (end >= 0 && index >= end) return arg;
    const long = bools.get(arg);
    if (long) return `${long}=true`;
    // `--pull .`: the word after it is the next argument, not the flag's value.
    const alone = bare.get(arg);
    const next = argv[index + 1];
    if (alone && next !== undefined && !next.startsWith('-') && !alone.values.includes(next))
      return `${arg}=${alone.value}`;
    return arg;
  });
}

/** The table key a flag spelling names (`--file`, `-f`), for messages. */
export function flagName(key: OptionKey): string {
  return longFlag(optionTable[key]);
}
