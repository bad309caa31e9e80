// Prints errors a user can fix once, without a stack trace: `file:line:col: message`, the line, a caret.
import { DockerfileSyntaxError } from '../engine/dockerfile/errors.js';

/** Errors that are the user's input, not msbuild's bug: printed plainly, exit code 1. */
export function isUserError(error: unknown): error is Error {
  return error instanceof Error && userErrorNames.has(error.name);
}

const userErrorNames = new Set([
  'DockerfileSyntaxError', 'PlanError', 'BuildError', 'DaemonError', 'ContextError', 'UsageError', 'BakeError', 'CacheError', 'OutputError',
]);

/** The text to print for a user error (without a trailing newline). */
export function formatUserError(error: Error): string {
  if (error instanceof DockerfileSyntaxError) {
    const lines = [`${error.location}: ${error.message}`];
    if (error.sourceLine !== undefined) {
      const line = error.sourceLine.replace(/\t/g, ' ');
      lines.push(` ${line}`, ` ${' '.repeat(Math.max(0, error.position.column - 1))}^`);
    }
    return lines.join('\n');
  }
  const detail = (error as { detail?: unknown }).detail;
  return typeof detail === 'string' && detail !== '' ? `error: ${error.message}\n${detail}` : `error: ${error.message}`;
}

/** Thrown for bad command-line input (a malformed --build-arg, say). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
