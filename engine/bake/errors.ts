// The one error type of bake files and `--set`: the user's input, printed once without a stack.
import { MsbuildError } from '../errors.js';
export class BakeError extends MsbuildError {
  override readonly name = 'BakeError';
  override readonly code = 'MSBUILD_BAKE';

  /** Printed under the message (the lines around a YAML syntax error). */
  declare readonly detail?: string;

  constructor(message: string, detail?: string) {
    super(message);
    if (detail !== undefined) this.detail = detail;
  }
}
