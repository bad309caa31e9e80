// Turns layers into images in the daemon with exactly the config msbuild planned: layers written by
// msbuild are loaded, layers committed from containers are adopted (config reloaded, commit image dropped).
import type Docker from 'dockerode';
import { inspectImage, removeImage } from '../docker/images.js';
import { loadImage } from '../docker/load.js';
import type { HistoryEntry, ImageConfig } from './config.js';
import type { WrittenLayer } from './layer.js';
import { configWithLayer, type ImageState } from './state.js';

/** The configs to load along with a new image: the last loaded one and the metadata steps since. */
function ancestorsOf(state: ImageState): ImageConfig[] {
  return [...(state.parentConfig ? [state.parentConfig] : []), ...(state.pendingConfigs ?? [])];
}

async function loadAfter(
  docker: Docker,
  config: ImageConfig,
  state: ImageState,
  newLayers: Array<{ diffId: string; path: string }> = [],
): Promise<string> {
  return loadImage(docker, { config, ancestors: ancestorsOf(state), newLayers });
}

/** Makes sure a daemon image with exactly `state.config` exists (a config-only load when needed). */
export async function materialize(docker: Docker, state: ImageState): Promise<ImageState> {
  if (state.imageId !== undefined) return state;
  const imageId = await loadAfter(docker, state.config, state);
  return { ...state, imageId, parentConfig: state.config, pendingConfigs: [], layerImageId: state.config.rootfs.diff_ids.length > 0 ? imageId : undefined };
}

/** The state after loading a layer msbuild wrote. */
export async function addWrittenLayer(
  docker: Docker,
  state: ImageState,
  layer: WrittenLayer | undefined,
  configAfter: ImageConfig,
  entry: HistoryEntry,
  time: Date,
  epoch?: Date,
): Promise<ImageState> {
  const config = configWithLayer(state, configAfter, entry, layer?.diffId, time, epoch);
  const imageId = await loadAfter(docker, config, state, layer ? [layer] : []);
  return { ...state, config, imageId, parentConfig: config, pendingConfigs: [], layerImageId: config.rootfs.diff_ids.length > 0 ? imageId : undefined };
}

/**
 * The state after a container was committed as `committedId`: its top layer joins our config,
 * which is loaded as its own image; the commit's image (with Docker's config) is removed.
 */
export async function adoptCommittedLayer(
  docker: Docker,
  state: ImageState,
  committedId: string,
  configAfter: ImageConfig,
  entry: HistoryEntry,
  time: Date,
  epoch?: Date,
): Promise<{ state: ImageState; layerSize: number }> {
  const committed = await inspectImage(docker, committedId);
  if (!committed) throw new Error(`committed image ${committedId} disappeared`);
  const before = state.config.rootfs.diff_ids.length;
  const diffId = committed.diffIds.length > before ? committed.diffIds[committed.diffIds.length - 1] : undefined;
  const config = configWithLayer(state, configAfter, entry, diffId, time, epoch);
  const imageId = await loadAfter(docker, config, state);
  const parentSize = state.layerImageId ? ((await inspectImage(docker, state.layerImageId))?.size ?? 0) : 0;
  await removeImage(docker, committedId);
  return {
    state: { ...state, config, imageId, parentConfig: config, pendingConfigs: [], layerImageId: config.rootfs.diff_ids.length > 0 ? imageId : undefined, knownFs: undefined },
    layerSize: Math.max(0, committed.size - parentSize),
  };
}
