// `ADD --checksum` values for HTTP sources: digests as go-digest parses them, refused in its words.

/** Digest algorithms `ADD --checksum` takes (go-digest's), with their hex lengths. */
const digestAlgorithms: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** Why `checksum` is no digest go-digest parses, or undefined. */
export function checksumProblem(checksum: string): string | undefined {
  const colon = checksum.indexOf(':');
  if (colon <= 0 || colon === checksum.length - 1) return 'invalid checksum digest format';
  const length = digestAlgorithms[checksum.slice(0, colon)];
  if (length === undefined) return 'unsupported digest algorithm';
  const hex = checksum.slice(colon + 1);
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) return 'invalid checksum digest length';
  return undefined;
}
