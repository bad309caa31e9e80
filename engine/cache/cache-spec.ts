// `--cache-from` / `--cache-to` (and bake's `cache-from`/`cache-to`) as buildx writes them: CSV
// `type=local,src|dest=DIR`, `type=registry,ref=REF[,mode=min|max][,ignore-error=true]`, `type=inline`
// (to), or a bare value. A bare value that is a directory or a path is a local cache (msbuild's own
// export); otherwise it is an image: one the daemon has serves as the legacy builder's `--cache-from
// IMAGE` does, one it lacks is read from its registry as buildx reads a bare ref (engine/build.ts).
// Unknown types and keys are refused by name.
import { existsSync, statSync } from 'node:fs';
import { parseSpec, SpecError } from '../util/spec.js';

export type CacheSpec =
  | { kind: 'local'; dir: string }
  | { kind: 'image'; ref: string }
  | { kind: 'registry'; ref: string; mode: 'min' | 'max'; ignoreError: boolean }
  | { kind: 'inline' };

/** Attributes each type understands (besides `type`), per direction. */
const keysOf: Record<string, Record<'from' | 'to', readonly string[]>> = {
  // msbuild exports every step the build used: what BuildKit's mode=max exports.
  local: { from: ['src'], to: ['dest', 'mode'] },
  registry: {
    from: ['ref'],
    to: ['ref', 'mode', 'ignore-error', 'image-manifest', 'oci-mediatypes'],
  },
  inline: { from: [], to: [] },
};

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** `type=registry,...` → its spec. */
function registrySpec(flag: string, text: string, fields: Map<string, string>): CacheSpec {
  const ref = fields.get('ref');
  if (!ref) throw new SpecError(`invalid ${flag} ${JSON.stringify(text)}: ref=REF is required`);
  const mode = fields.get('mode') ?? 'min';
  if (mode !== 'min' && mode !== 'max') throw new SpecError(`${flag} ${text}: mode must be min or max`);
  for (const key of ['image-manifest', 'oci-mediatypes'])
    if (fields.has(key) && fields.get(key) !== 'true')
      throw new SpecError(`${flag}: ${key}=${fields.get(key)} is not supported (msbuild writes an OCI image manifest)`);
  const ignore = fields.get('ignore-error');
  if (ignore !== undefined && ignore !== 'true' && ignore !== 'false')
    throw new SpecError(`${flag}: ignore-error must be true or false`);
  return { kind: 'registry', ref, mode, ignoreError: ignore === 'true' };
}

/** One `--cache-from` (`from`) or `--cache-to` (`to`) value. */
export function parseCacheSpec(text: string, direction: 'from' | 'to'): CacheSpec {
  const flag = direction === 'from' ? '--cache-from' : '--cache-to';
  if (!text.includes('=')) {
    if (text === '') throw new SpecError(`${flag} needs a value`);
    // A directory given bare, or a path (./x, /x, x/ …) is a local cache; a name is an image.
    if (direction === 'to' || isDirectory(text) || /^(\.{1,2}|~)?\//.test(text) || text.endsWith('/'))
      return { kind: 'local', dir: text };
    return { kind: 'image', ref: text };
  }
  const fields = parseSpec(text, flag);
  const type = fields.get('type');
  if (type === undefined) throw new SpecError(`invalid ${flag} ${JSON.stringify(text)}: type is required`);
  const known = keysOf[type]?.[direction];
  if (!known || (type === 'inline' && direction === 'from'))
    throw new SpecError(
      `${flag} type=${type} is not supported: use ${direction === 'to' ? 'local, registry or inline' : 'local or registry'}`,
    );
  for (const key of fields.keys()) {
    if (key !== 'type' && !known.includes(key))
      throw new SpecError(`${flag} ${text}: attribute ${JSON.stringify(key)} is not supported for type=${type}`);
  }
  if (type === 'inline') return { kind: 'inline' };
  if (type === 'registry') return registrySpec(flag, text, fields);
  const mode = fields.get('mode');
  if (mode !== undefined && mode !== 'min' && mode !== 'max')
    throw new SpecError(`${flag} ${text}: mode must be min or max`);
  const key = direction === 'from' ? 'src' : 'dest';
  const dir = fields.get(key);
  if (!dir) throw new SpecError(`invalid ${flag} ${JSON.stringify(text)}: ${key}=DIR is required`);
  return { kind: 'local', dir };
}

/** The build options the cache flags give. */
export interface CacheOptions {
  cacheFrom: string[];
  cacheFromImages: string[];
  registryCacheFrom: string[];
  cacheTo?: string;
  registryCacheTo?: { ref: string; mode: 'min' | 'max'; ignoreError: boolean };
  inlineCache?: boolean;
}

/** `--cache-from`/`--cache-to` specs as build options: local directories, images, registry refs, inline. */
export function cacheOptions(from: readonly CacheSpec[], to: CacheSpec | undefined): CacheOptions {
  return {
    cacheFrom: from.flatMap((s) => (s.kind === 'local' ? [s.dir] : [])),
    cacheFromImages: from.flatMap((s) => (s.kind === 'image' ? [s.ref] : [])),
    registryCacheFrom: from.flatMap((s) => (s.kind === 'registry' ? [s.ref] : [])),
    ...(to?.kind === 'local' ? { cacheTo: to.dir } : {}),
    ...(to?.kind === 'registry'
      ? { registryCacheTo: { ref: to.ref, mode: to.mode, ignoreError: to.ignoreError } }
      : {}),
    ...(to?.kind === 'inline' ? { inlineCache: true } : {}),
  };
}
