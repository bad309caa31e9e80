// Container path arithmetic with BuildKit's rules (util/system NormalizePath): POSIX paths,
// relative paths resolved against the working directory, a trailing `/` or `/.` kept when asked.
import { posix } from 'node:path';

/**
 * Resolves `path` against `parent` (the working directory). Absolute paths are kept as written,
 * as BuildKit keeps them; relative ones are joined and cleaned.
 */
export function normalizePath(parent: string, path: string, keepSlash: boolean): string {
  const base = parent === '' ? '/' : parent.startsWith('/') ? parent : posix.join('/', parent);
  const original = path;
  let result = path === '' ? base : path;
  if (!result.startsWith('/')) result = posix.join(base, result);
  if (keepSlash) {
    if (original.endsWith('/') && !result.endsWith('/')) result += '/';
    else if (original.endsWith('/.')) {
      if (result !== '/') result += '/';
      result += '.';
    }
  }
  return result;
}

/** `/abs/./x/../y/` → `/abs/y`: Go's path.Clean of an absolute path. */
export function cleanPath(path: string): string {
  const clean = posix.normalize(path.startsWith('/') ? path : `/${path}`);
  return clean.length > 1 ? clean.replace(/\/+$/, '') : clean;
}
