// Parser directives (`# syntax=`, `# escape=`, `# check=`): recognised only in the comment lines at
// the very top of the file, each at most once, as BuildKit's DirectiveParser reads them.

export const knownDirectives: ReadonlySet<string> = new Set(['syntax', 'escape', 'check']);

const directivePattern = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/u;

export interface DirectiveLine {
  name: string;
  value: string;
}

/** Reads directives line by line; after the first line that is not one, it reads no more. */
export class DirectiveScanner {
  private done = false;
  private readonly seen = new Set<string>();

  /**
   * The directive on `line`, or undefined. Throws (with BuildKit's message) when a directive
   * appears twice.
   */
  scan(line: string): DirectiveLine | undefined {
    if (this.done) return undefined;
    if (!line.startsWith('#')) {
      this.done = true;
      return undefined;
    }
    const match = directivePattern.exec(line.slice(1).replace(/^\s+/u, ''));
    if (!match) {
      this.done = true;
      return undefined;
    }
    const name = match[1].toLowerCase();
    if (!knownDirectives.has(name)) {
      this.done = true;
      return undefined;
    }
    if (this.seen.has(name)) throw new Error(`only one ${name} parser directive can be used`);
    this.seen.add(name);
    return { name, value: match[2] };
  }
}

/** The escape token a `# escape=` value names; anything but `\` or `` ` `` is an error. */
export function escapeTokenOf(value: string): '\\' | '`' {
  if (value !== '`' && value !== '\\') throw new Error(`invalid escape token '${value}' does not match \` or \\`);
  return value;
}
