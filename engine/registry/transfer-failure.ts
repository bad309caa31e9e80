// A push or pull the daemon made and the registry refused, worded for the user: which registry, and
// what to do (log in, the tag that is not there, the registry that does not answer). The daemon's
// words are the input: it speaks to the registry, msbuild reads its progress stream.
import { authenticationFailed } from './auth.js';
import type { Credentials } from './credentials.js';
import { RegistryError } from './errors.js';
import type { ImageReference } from './reference.js';

const authFailure = /unauthorized|authentication required|no basic auth credentials|incorrect username or password/i;
const notFound = /manifest unknown|not found|does not exist/i;
const unreachable =
  /connection refused|no such host|i\/o timeout|dial tcp|no route to host|server gave HTTP response|network is unreachable/i;

function connectionWords(message: string): string {
  const match = /(connection refused|no such host|i\/o timeout|no route to host|network is unreachable)/i.exec(message);
  return match ? match[1] : message;
}

export function transferFailure(
  action: 'push' | 'pull',
  target: { text: string; ref: ImageReference; credentials: Credentials | undefined },
  message: string,
): RegistryError {
  const { ref } = target;
  if (authFailure.test(message)) return authenticationFailed(ref.domain, target.credentials);
  if (action === 'push') {
    if (unreachable.test(message))
      return new RegistryError(
        `cannot push ${target.text}: registry ${ref.domain} is unreachable (${message})`,
        'unreachable',
      );
    return new RegistryError(`cannot push ${target.text}: ${message}`, 'push');
  }
  if (unreachable.test(message))
    return new RegistryError(`registry ${ref.domain} is unreachable (${connectionWords(message)})`, 'unreachable');
  if (notFound.test(message))
    return new RegistryError(
      `registry ${ref.domain} has no ${ref.digest !== undefined ? `digest ${ref.digest}` : `tag ${ref.tag}`} in repository ${ref.path}`,
      'not-found',
    );
  return new RegistryError(message, 'pull');
}
