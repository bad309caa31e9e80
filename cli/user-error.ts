// Prints errors a user can fix once, without a stack trace: `file:line:col: message`, the line, a caret.
import { DockerfileSyntaxError, excerptAround } from '../engine/dockerfile/errors.js';
import { isMsbuildError } from '../engine/errors.js';

/** Errors msbuild raised on purpose (the user's input, the daemon): printed plainly, exit code 1. */
export function isUserError(error: unknown): error is Error {
  return isMsbuildError(error);
}

/** Columns of the terminal errors go to (120 when it is not one). */
function screenWidth(): number {
  return process.stderr.isTTY && process.stderr.columns > 20 ? process.stderr.columns : 120;
}

/** The text to print for a user error (without a trailing newline). */
export function formatUserError(error: Error, width = screenWidth()): string {
  if (error instanceof DockerfileSyntaxError) {
    const lines = [`${error.location}: ${error.message}`];
    if (error.sourceLine !== undefined) {
      // Cut to the screen: the line is indented by one column.
      const excerpt = excerptAround(error.sourceLine.replace(/\t/g, ' '), error.position.column, width - 1);
      lines.push(` ${excerpt.text}`, ` ${' '.repeat(Math.max(0, excerpt.column - 1))}^`);
    }
    return lines.join('\n');
  }
  const detail = (error as { detail?: unknown }).detail;
  return typeof detail === 'string' && detail !== '' ? `error: ${error.message}\n${detail}` : `error: ${error.message}`;
}

export { UsageError } from '../engine/errors.js';
