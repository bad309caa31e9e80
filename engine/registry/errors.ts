// The one error of registry work (credentials, the distribution API, push and pull): it names the
// registry and what failed, and never carries a credential. `kind` says what failed; `code` is the
// stable MSBUILD_REGISTRY_… form of it.
import { MsbuildError } from '../errors.js';

export type RegistryErrorKind =
  | 'reference'
  | 'credentials'
  | 'unauthorized'
  | 'denied'
  | 'unreachable'
  | 'tls'
  | 'not-found'
  | 'protocol'
  | 'push'
  | 'pull'
  | 'cache';

export class RegistryError extends MsbuildError {
  override readonly name = 'RegistryError';
  override readonly code: string;
  constructor(
    message: string,
    readonly kind: RegistryErrorKind,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = `MSBUILD_REGISTRY_${kind.toUpperCase().replace('-', '_')}`;
  }
}
