// The OCI worker's errors: one class with a code (MSBUILD_OCI_*) for everything this worker reports,
// so a failure says which part of the worker failed (mount, runc, snapshot, lease) in plain words.
import { MsbuildError } from '../errors.js';

export class OciError extends MsbuildError {
  override readonly name: string = 'OciError';
  override readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = `MSBUILD_${code}`;
  }
}
