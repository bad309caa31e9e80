// Turns layers into images in the daemon with exactly the config msbuild planned: layers written by
// msbuild are loaded, layers committed from containers are adopted (config reloaded, commit image dropped).
import type Docker from 'dockerode';
import { inspectImage } from '../docker/images.js';
import { loadImage } from '../docker/load.js';
import { imageIdOf, type HistoryEntry, type ImageConfig } from './config.js';
import type { WrittenLayer } from './layer.js';
import { configWithLayer, withConfigOnly, type ImageState } from './state.js';

/** The configs to load along with a new image: the last loaded one and the metadata steps since. */
function ancestorsOf(state: ImageState): ImageConfig[] {
  return [...(state.parentConfig ? [state.parentConfig] : []), ...(state.pendingConfigs ?? [])];
}

async function loadAfter(
  docker: Docker,
  config: ImageConfig,
  state: ImageState,
  newLayers: Array<{ diffId: string; path: string }> = [],
  signal?: AbortSignal,
): Promise<string> {
  return loadImage(docker, { config, ancestors: ancestorsOf(state), newLayers }, signal);
}

/** The IDs of the images a materialize of `state` loads: its config's and those of the steps since the last load. */
export function imagesLoadedWith(state: ImageState): string[] {
  return [...ancestorsOf(state), state.config].map((config) => imageIdOf(config));
}

/**
 * Makes sure a daemon image with exactly `state.config` exists: one load with the configs of the steps
 * since the last loaded image and the layers written since (so every step's image exists after it).
 * Aborting `signal` stops the load.
 */
export async function materialize(docker: Docker, state: ImageState, signal?: AbortSignal): Promise<ImageState> {
  if (state.imageId !== undefined) return state;
  const imageId = await loadAfter(docker, state.config, state, state.unloadedLayers ?? [], signal);
  return {
    ...state,
    imageId,
    parentConfig: state.config,
    pendingConfigs: [],
    unloadedLayers: [],
    layerImageId: state.config.rootfs.diff_ids.length > 0 ? imageId : undefined,
  };
}

/** A daemon image with the state's layers (loading what was written but not loaded yet). */
export async function layerImageOf(docker: Docker, state: ImageState, signal?: AbortSignal): Promise<{ state: ImageState; image: string | undefined }> {
  if (state.layerImageId !== undefined || state.config.rootfs.diff_ids.length === 0) return { state, image: state.layerImageId };
  const loaded = await materialize(docker, state, signal);
  return { state: loaded, image: loaded.layerImageId };
}

/**
 * The state after a layer msbuild wrote: not loaded yet. Consecutive written layers (a final stage's
 * COPYs) go to the daemon together, in one load, when something needs the image.
 */
export function addWrittenLayer(
  state: ImageState,
  layer: WrittenLayer | undefined,
  configAfter: ImageConfig,
  entry: HistoryEntry,
  time: Date,
  epoch?: Date,
): ImageState {
  const config = configWithLayer(state, configAfter, entry, layer?.diffId, time, epoch);
  return {
    ...withConfigOnly(state, config),
    layerImageId: layer ? undefined : state.layerImageId,
    unloadedLayers: [...(state.unloadedLayers ?? []), ...(layer ? [layer] : [])],
  };
}

/**
 * The state after a container was committed as `committedId`: the committed image carries the new
 * layer for the steps that follow; our config for it is loaded later, with the stage's result.
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
  const parentSize = state.layerImageId ? ((await inspectImage(docker, state.layerImageId))?.size ?? 0) : 0;
  return {
    state: { ...withConfigOnly(state, config), layerImageId: committedId, knownFs: undefined },
    layerSize: Math.max(0, committed.size - parentSize),
  };
}
