// Parser directives (`# syntax=`, `# escape=`, `# check=`), read as BuildKit's DirectiveParser does:
// only in the comment lines at the very top, names case-insensitive, each at most once.
import { PositionedError } from '../errors.js';
import { leadingGoSpace } from '../go/strings.js';
import type { EscapeToken } from './line-parsers.js';

export const knownDirectives: ReadonlySet<string> = new Set(['syntax', 'escape', 'check']);

/** `name = value` after the `#`; Go's `\s` is `[\t\n\f\r ]` and its `.` matches anything but a newline. */
const directivePattern = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/d;

export interface DirectiveLine {
  /** Lower-cased name. */
  name: string;
  value: string;
  /** UTF-16 offset of the value in the scanned line. */
  valueOffset: number;
}

/** A directive BuildKit refuses; `offset` is where in the scanned line the problem is. */
/** At an offset into the logical line (the parser maps it to a position). */
export class DirectiveError extends PositionedError<number> {
  override readonly name = 'DirectiveError';
  override readonly code = 'MSBUILD_DIRECTIVE';
}

/**
 * Reads directives line by line. The first line that is not a known directive (a blank line, an
 * instruction, an ordinary comment, an unknown `# key=value`) ends the scanning for good.
 */
export class DirectiveScanner {
  private done = false;
  private readonly seen = new Set<string>();

  /** The directive `line` holds, or undefined. Throws DirectiveError for a repeated directive. */
  scan(line: string): DirectiveLine | undefined {
    if (this.done) return undefined;
    if (!line.startsWith('#')) {
      this.done = true;
      return undefined;
    }
    const bodyOffset = 1 + leadingGoSpace(line.slice(1));
    const match = directivePattern.exec(line.slice(bodyOffset));
    if (!match?.indices) {
      this.done = true;
      return undefined;
    }
    const name = match[1].toLowerCase();
    if (!knownDirectives.has(name)) {
      this.done = true;
      return undefined;
    }
    if (this.seen.has(name)) throw new DirectiveError(`only one ${name} parser directive can be used`, 0);
    this.seen.add(name);
    return { name, value: match[2], valueOffset: bodyOffset + match.indices[2][0] };
  }
}

/** The escape token an `# escape=` value names; anything but `\` or `` ` `` is BuildKit's error. */
export function escapeTokenOf(value: string): EscapeToken {
  if (value === '\\' || value === '`') return value;
  throw new DirectiveError(`invalid escape token '${value}' does not match \` or \\`, 0);
}
