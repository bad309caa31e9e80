// `--cache-to type=inline`: the target's cache index in the image's own config (field msbuild.cache.v1,
// base64 JSON), as BuildKit puts moby.buildkit.cache.v0 there; its layers are the image's, so a build
// elsewhere can `--cache-from` the pushed image. The image is loaded again with that config (new ID).
import { cloneConfig, type ImageConfig } from '../image/config.js';
import type { ImageState } from '../image/state.js';
import type { ImageStore } from '../worker/image-store.js';
import { exportedEntries, exportedFromDigests, type ExportSelection } from './registry-export.js';
import { inlineCacheField, remoteIndexVersion, type RemoteIndex } from './remote-format.js';

export async function withInlineCache(
  images: ImageStore,
  state: ImageState,
  selection: ExportSelection,
  signal?: AbortSignal,
): Promise<ImageState> {
  const index: RemoteIndex = {
    version: remoteIndexVersion,
    exported: new Date().toISOString(),
    mode: 'inline',
    entries: exportedEntries(selection),
    fromDigests: exportedFromDigests(selection),
    // The image's own layers are the blobs: the reader takes them from the image's manifest.
    blobs: {},
  };
  const config = cloneConfig(state.config) as ImageConfig & Record<string, unknown>;
  config[inlineCacheField] = Buffer.from(JSON.stringify(index)).toString('base64');
  const imageId = await images.load({ config }, signal);
  return { ...state, config, imageId, parentConfig: config, pendingConfigs: [] };
}
