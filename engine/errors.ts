// The one base of every error msbuild raises on purpose: a stable `code` for programs, and a brand
// (`Symbol.for`, as undici's errors have) so `instanceof MsbuildError` holds across two copies of the
// module, and the CLI can tell a reportable error from a bug without importing the engine's classes.
// A leaf: it imports nothing, so any layer may use it.

const brand = Symbol.for('msbuild.error');

/**
 * An error msbuild reports to the person at the keyboard: its message is complete and worded for
 * them (what is wrong, where, how to fix it), so it is printed as it is, with no stack trace.
 */
export class MsbuildError extends Error {
  override readonly name: string = 'MsbuildError';
  /** Stable across releases (`MSBUILD_…`): match on it, never on the message. */
  readonly code: string = 'MSBUILD_ERROR';
  readonly [brand] = true;

  /** True for any MsbuildError, even one made by another copy of msbuild (the brand, not the class). */
  static override [Symbol.hasInstance](instance: unknown): boolean {
    if (this !== MsbuildError) return Function.prototype[Symbol.hasInstance].call(this, instance);
    return isMsbuildError(instance);
  }
}

/** True when `value` is an MsbuildError of any copy of msbuild. */
export function isMsbuildError(value: unknown): value is MsbuildError {
  return typeof value === 'object' && value !== null && (value as { [brand]?: unknown })[brand] === true;
}

/**
 * An error that points into the Dockerfile: `position` is a line and column, or, for the parser's
 * line-level errors, an offset (a number) into the logical line that the parser maps to one. It is
 * undefined when the catcher's own position (the instruction's start) is meant.
 */
export class PositionedError<At> extends MsbuildError {
  override readonly name: string = 'PositionedError';
  override readonly code: string = 'MSBUILD_POSITIONED';
  constructor(
    message: string,
    readonly position: At,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An option value msbuild cannot use (a malformed --build-arg, an unknown cache type), from the CLI or a bake file. */
export class UsageError extends MsbuildError {
  override readonly name: string = 'UsageError';
  override readonly code: string = 'MSBUILD_USAGE';
}

/**
 * The message of an error as a user should read it. An HTTP client error (dockerode's) carries the
 * server's own words in `json.message` and prefixes its message with `(HTTP code N) kind - `: the
 * server's words, without the prefix.
 */
export function describeError(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}
