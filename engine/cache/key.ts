// Cache keys: a step's key hashes its parent's key, the expanded instruction in canonical form (argv,
// env and args it sees, paths, owners) and the content digest of what it reads (COPY sources, RUN binds).
import { createHash } from 'node:crypto';
import type { DispatchedStep } from '../plan/step.js';

/** Bump when the meaning of a key changes, so old entries stop matching. */
export const cacheKeyVersion = 'msbuild-cache-v1';

/** sha256 of a value's canonical JSON (object keys sorted). */
export function digestOf(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value instanceof Map) return sortKeys(Object.fromEntries(value));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** Key of a stage's starting point: a base image by ID, or scratch. */
export function baseKey(base: { kind: 'scratch' } | { kind: 'image'; id: string }, platform: string): string {
  return digestOf({ version: cacheKeyVersion, base, platform });
}

/** Inputs a step reads besides its instruction. */
export interface StepInputs {
  /** Content digest of the files a COPY/ADD reads. */
  contentDigest?: string;
  /**
   * Content digests of what a RUN's bind mounts expose, in mount order: the context files (as COPY
   * digests them) or the mounted path of a stage or image. Cache, tmpfs and secret mounts are never
   * here: they are not inputs of the step's result (a secret must not even be hashed into a key).
   */
  mountDigests?: string[];
}

/** The instruction in canonical form: what decides its result besides the parent and its inputs. */
export function canonicalStep(step: DispatchedStep): unknown {
  const action = step.action;
  switch (action.kind) {
    case 'config':
      // Metadata: the config it produces says everything (env, labels, cmd...).
      return {
        kind: 'config',
        createdBy: step.history.created_by,
        config: step.configAfter.config,
        author: step.configAfter.author,
      };
    case 'run':
      return {
        kind: 'run',
        argv: action.argv,
        env: [...action.env].sort(),
        user: action.user,
        workdir: action.workdir,
        network: action.network,
        security: action.security,
        script: action.script,
        mounts: action.mounts.map((m) => ({
          type: m.type,
          from: m.from,
          source: m.source,
          target: m.target,
          readOnly: m.readOnly,
          id: m.id,
          sharing: m.sharing,
          required: m.required,
          mode: m.mode,
          uid: m.uid,
          gid: m.gid,
          env: m.env,
          size: m.sizeLimit,
        })),
      };
    case 'copy':
      return {
        kind: action.add ? 'add' : 'copy',
        source: action.source,
        sources: action.sources,
        inline: action.inline,
        dest: action.dest,
        chown: action.chown,
        chmod: action.chmod,
        excludes: action.excludes,
        parents: action.parents,
        link: action.link,
        unpack: action.unpack,
        checksum: action.checksum,
        // Only where set, so the keys of other copies stay what they were.
        ...(action.unpackRemote ? { unpackRemote: true } : {}),
        ...(action.keepGitDir ? { keepGitDir: true } : {}),
      };
    case 'workdir':
      return { kind: 'workdir', path: action.path, user: action.user };
  }
}

export function stepKey(parentKey: string, step: DispatchedStep, inputs: StepInputs = {}): string {
  return digestOf({ version: cacheKeyVersion, parent: parentKey, step: canonicalStep(step), inputs });
}
