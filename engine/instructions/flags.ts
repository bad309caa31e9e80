// Instruction flags (`--from=build`, `--link`): which flags an instruction accepts and their values,
// with BuildKit's BFlags rules (booleans, repeatable strings, `--` ends the flags, duplicates rejected).
import type { FlagNode, Position } from '../dockerfile/ast.js';
import { PositionedError } from '../errors.js';
import { withSuggestion } from './suggest.js';

export type FlagKind = 'bool' | 'string' | 'strings';

/** Flag name (without dashes) → its kind. */
export type FlagSpec = Readonly<Record<string, FlagKind>>;

export interface ParsedFlags {
  /** Names of the flags that were given. */
  used: ReadonlySet<string>;
  string(name: string, fallback?: string): string;
  bool(name: string): boolean;
  strings(name: string): string[];
  /** Where a given flag was written, for carets in later errors. */
  position(name: string): Position | undefined;
}

/** A flag problem at a position; the caller turns it into a DockerfileSyntaxError. */
export class FlagError extends PositionedError<Position> {
  override readonly name = 'FlagError';
  override readonly code = 'MSBUILD_FLAG';
}

export function parseFlags(flags: readonly FlagNode[], spec: FlagSpec): ParsedFlags {
  const strings = new Map<string, string[]>();
  const values = new Map<string, string>();
  const positions = new Map<string, Position>();
  for (const flag of flags) {
    const text = flag.text;
    if (text === '--') break;
    if (!text.startsWith('--')) throw new FlagError(`arg should start with -- : ${text}`, flag.position);
    const equals = text.indexOf('=');
    const flagName = equals < 0 ? text : text.slice(0, equals);
    const hasValue = equals >= 0;
    const value = hasValue ? text.slice(equals + 1) : '';
    const name = flagName.slice(2);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) {
      const known = Object.keys(spec).map((n) => `--${n}`);
      throw new FlagError(withSuggestion(`unknown flag: ${flagName}`, flagName, known), flag.position);
    }
    if (positions.has(name) && kind !== 'strings') {
      throw new FlagError(`duplicate flag specified: ${flagName}`, flag.position);
    }
    positions.set(name, flag.position);
    switch (kind) {
      case 'bool': {
        if (hasValue && value === '') throw new FlagError(`missing a value on flag: ${flagName}`, flag.position);
        const lowered = value.toLowerCase();
        if (lowered === 'true' || lowered === '') values.set(name, 'true');
        else if (lowered === 'false') values.set(name, 'false');
        else throw new FlagError(`expecting boolean value for flag ${flagName}, not: ${value}`, flag.position);
        break;
      }
      case 'string':
        if (!hasValue) throw new FlagError(`missing a value on flag: ${flagName}`, flag.position);
        values.set(name, value);
        break;
      case 'strings':
        if (!hasValue) throw new FlagError(`missing a value on flag: ${flagName}`, flag.position);
        strings.set(name, [...(strings.get(name) ?? []), value]);
        break;
    }
  }
  return {
    used: new Set(positions.keys()),
    string: (name, fallback = '') => values.get(name) ?? fallback,
    bool: (name) => values.get(name) === 'true',
    strings: (name) => strings.get(name) ?? [],
    position: (name) => positions.get(name),
  };
}
