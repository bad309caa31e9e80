// Digests as names: `sha256:<hex>` without its algorithm, for file names (cache entries, layer blobs).

/** `sha256:abc…` → `abc…` (a digest with no algorithm prefix is returned as it is). */
export function hex(digest: string): string {
  return digest.replace(/^sha256:/, '');
}
