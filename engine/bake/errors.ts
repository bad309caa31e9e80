// The one error type of bake files and `--set`: the user's input, printed once without a stack.
export class BakeError extends Error {
  override readonly name = 'BakeError';

  /** Printed under the message (the lines around a YAML syntax error). */
  declare readonly detail?: string;

  constructor(message: string, detail?: string) {
    super(message);
    if (detail !== undefined) this.detail = detail;
  }
}
