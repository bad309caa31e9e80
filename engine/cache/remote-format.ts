// The cache as msbuild stores it in a registry: an OCI image manifest of msbuild's own media types
// whose config blob is the index (entries, COPY --from content digests, which blob holds each layer)
// and whose layers are the layer blobs the entries need (gzip tars). The same index travels inline in
// an image's config (`--cache-to type=inline`), its layers then being the image's own.
import type { CacheEntry } from './store.js';

export const cacheArtifactType = 'application/vnd.msbuild.cache.v1';
export const cacheIndexMediaType = 'application/vnd.msbuild.cache.index.v1+json';
/** The image config field that carries an inline cache index (base64 of its JSON). */
export const inlineCacheField = 'msbuild.cache.v1';
/** Annotation on each layer descriptor: the layer's diff ID (its uncompressed digest). */
export const diffIdAnnotation = 'io.msbuild.diff-id';

export const remoteIndexVersion = 1;

export interface LayerBlob {
  digest: string;
  size: number;
  mediaType: string;
}

export interface RemoteIndex {
  version: number;
  exported: string;
  mode: 'min' | 'max' | 'inline';
  /**
   * Entries with their image IDs as they are once loaded from `config` (the same on every daemon).
   * `layers: false`: a record only (mode=min, another stage's step): a hit while nothing needs its image.
   */
  entries: Array<CacheEntry & { layers: boolean }>;
  /** COPY --from content digests, keyed as the build keys them (by the source's image ID). */
  fromDigests: Record<string, string>;
  /** diff ID → blob. Layers of base images are not here: a build has them by its FROM. */
  blobs: Record<string, LayerBlob>;
}

/** What is wrong with an index read from a registry, or undefined. */
export function indexProblem(index: unknown): string | undefined {
  if (typeof index !== 'object' || index === null) return 'not a JSON object';
  const value = index as Partial<RemoteIndex>;
  if (value.version !== remoteIndexVersion)
    return `version ${JSON.stringify(value.version)}; this msbuild reads ${remoteIndexVersion}`;
  if (!Array.isArray(value.entries) || typeof value.blobs !== 'object' || value.blobs === null)
    return 'no entries or blobs';
  for (const entry of value.entries) {
    if (typeof entry?.key !== 'string' || !Array.isArray(entry?.config?.rootfs?.diff_ids))
      return 'an entry without key or config';
  }
  return undefined;
}
