// `--build-context NAME=VALUE`, as buildx passes named contexts and BuildKit's frontend uses them: a
// context replaces the stage named NAME (its instructions are not run) and every image reference
// NAME (FROM, COPY --from, RUN --mount=from). VALUE is `docker-image://REF`, `target:STAGE` (another
// stage of the Dockerfile) or a local directory; names are compared as references, so
// `docker.io/library/alpine:latest` is `alpine`.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { BuildError } from '../build-error.js';
import { referenceProblem } from '../image/reference.js';

export type NamedContext =
  { kind: 'image'; ref: string } | { kind: 'stage'; stage: string } | { kind: 'dir'; path: string };

/** distribution/reference's FamiliarString without `:latest`: how BuildKit keys named contexts. */
export function contextKey(name: string): string | undefined {
  if (referenceProblem(name) !== undefined) return undefined;
  let key = name;
  for (const prefix of ['docker.io/', 'index.docker.io/']) if (key.startsWith(prefix)) key = key.slice(prefix.length);
  if (key !== name && key.startsWith('library/') && key.indexOf('/', 'library/'.length) < 0) key = key.slice(8);
  return key.endsWith(':latest') && !key.includes('@') ? key.slice(0, -':latest'.length) : key;
}

export function parseNamedContexts(values: readonly string[]): Map<string, NamedContext> {
  const contexts = new Map<string, NamedContext>();
  for (const value of values) {
    if (value === '') continue;
    const equals = value.indexOf('=');
    if (equals < 0) throw new BuildError(`invalid context value: ${value}, expected key=value`);
    const name = value.slice(0, equals);
    const source = value.slice(equals + 1);
    const key = contextKey(name);
    if (key === undefined) throw new BuildError(`invalid context name ${name}`);
    if (source.startsWith('docker-image://')) {
      const ref = source.slice('docker-image://'.length);
      if (referenceProblem(ref) !== undefined) throw new BuildError(`invalid reference format: ${ref}`);
      contexts.set(key, { kind: 'image', ref });
    } else if (source.startsWith('target:')) {
      contexts.set(key, { kind: 'stage', stage: source.slice('target:'.length).toLowerCase() });
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) || source.startsWith('git@') || source.startsWith('input:')) {
      throw new BuildError(
        `--build-context ${name}=${source}: this kind of context is not supported by msbuild (use docker-image://REF, target:STAGE or a directory)`,
      );
    } else {
      const path = resolve(source);
      let directory = false;
      try {
        directory = statSync(path).isDirectory();
      } catch (error) {
        throw new BuildError(`failed to get build context ${name}: ${(error as Error).message}`);
      }
      if (!directory) throw new BuildError(`failed to get build context path ${source}: not a directory`);
      contexts.set(key, { kind: 'dir', path });
    }
  }
  return contexts;
}

/** The context a reference (an image name or a stage name) is replaced by, if any. */
export function namedContextFor(
  contexts: ReadonlyMap<string, NamedContext> | undefined,
  name: string,
): NamedContext | undefined {
  if (!contexts || contexts.size === 0) return undefined;
  const key = contextKey(name);
  return key === undefined ? undefined : contexts.get(key);
}
