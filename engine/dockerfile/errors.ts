// Typed, user-facing errors of the Dockerfile front end: they carry where in the file the problem is.
import { MsbuildError } from '../errors.js';
import type { Position } from './ast.js';

/** A Dockerfile that cannot be parsed or whose instructions are invalid. */
export class DockerfileSyntaxError extends MsbuildError {
  override readonly name = 'DockerfileSyntaxError';
  override readonly code = 'MSBUILD_DOCKERFILE_SYNTAX';
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

/**
 * The part of `line` a screen shows: `width` characters around `column` (1-based), `…` where cut, and
 * the column the caret goes under in it. A 10 MB line is refused with one line of it, not all of it.
 */
export function excerptAround(line: string, column: number, width: number): { text: string; column: number } {
  if (line.length <= width) return { text: line, column };
  const start = Math.max(0, Math.min(column - 1 - Math.floor(width / 2), line.length - width));
  const end = start + width;
  const text = `${start > 0 ? '…' : ''}${line.slice(start > 0 ? start + 1 : start, end < line.length ? end - 1 : end)}${end < line.length ? '…' : ''}`;
  return { text, column: column - start };
}

/** A DockerfileSyntaxError at `position` of the parsed file, with the source line for the caret. */
export function syntaxErrorAt(
  where: { file: string; source: string },
  position: Position,
  message: string,
): DockerfileSyntaxError {
  return new DockerfileSyntaxError(message, where.file, position, sourceLineAt(where.source, position.line));
}
