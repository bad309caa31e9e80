// Typed, user-facing errors of the Dockerfile front end: they carry where in the file the problem is.
import type { Position } from './ast.js';

/** A Dockerfile that cannot be parsed or whose instructions are invalid. */
export class DockerfileSyntaxError extends Error {
  override readonly name = 'DockerfileSyntaxError';
  constructor(
    message: string,
    readonly file: string,
    readonly position: Position,
    /** The source line the position points into, for a caret under it. */
    readonly sourceLine?: string,
  ) {
    super(message);
  }

  /** `Dockerfile:3:7: message` as compilers print it. */
  get location(): string {
    return `${this.file}:${this.position.line}:${this.position.column}`;
  }
}

/** Returns line `line` (1-based) of `source` without its line ending, or undefined. */
export function sourceLineAt(source: string, line: number): string | undefined {
  const lines = source.split(/\r?\n/);
  return lines[line - 1];
}

/** A DockerfileSyntaxError at `position` of the parsed file, with the source line for the caret. */
export function syntaxErrorAt(
  where: { file: string; source: string },
  position: Position,
  message: string,
): DockerfileSyntaxError {
  return new DockerfileSyntaxError(message, where.file, position, sourceLineAt(where.source, position.line));
}
