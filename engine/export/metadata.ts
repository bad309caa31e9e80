// The result of a build as `--metadata-file` writes it, in buildx's keys: the config digest (the
// image ID), the digest of the image's OCI manifest, and the names it was given.
export interface BuildMetadata {
  'containerimage.config.digest': string;
  'containerimage.digest'?: string;
  'image.name'?: string;
  'msbuild.build.id'?: string;
}

export function buildMetadata(result: {
  imageId: string;
  manifestDigest?: string;
  tags: readonly string[];
  buildId?: string;
}): BuildMetadata {
  return {
    'containerimage.config.digest': result.imageId,
    ...(result.manifestDigest ? { 'containerimage.digest': result.manifestDigest } : {}),
    ...(result.tags.length > 0 ? { 'image.name': result.tags.join(',') } : {}),
    ...(result.buildId ? { 'msbuild.build.id': result.buildId } : {}),
  };
}
