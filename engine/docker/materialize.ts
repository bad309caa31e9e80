// Turns image states into images in the daemon with exactly the config msbuild planned: layers
// written by msbuild are loaded, layers committed from containers are adopted (config reloaded with
// the stage, commit image dropped).
import type Docker from 'dockerode';
import { ancestorsOf, type ImageState } from '../image/state.js';
import type { NewLayer } from '../worker/worker.js';
import { inspectImage } from './images.js';
import { loadImage } from './load.js';

/**
 * Makes sure a daemon image with exactly `state.config` exists: one load with the configs of the steps
 * since the last loaded image and the layers written since (so every step's image exists after it).
 * Aborting `signal` stops the load.
 */
export async function materialize(docker: Docker, state: ImageState, signal?: AbortSignal): Promise<ImageState> {
  if (state.imageId !== undefined) return state;
  const imageId = await loadImage(
    docker,
    { config: state.config, ancestors: ancestorsOf(state), newLayers: state.unloadedLayers ?? [] },
    signal,
  );
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
export async function layerImageOf(
  docker: Docker,
  state: ImageState,
  signal?: AbortSignal,
): Promise<{ state: ImageState; image: string | undefined }> {
  if (state.layerImageId !== undefined || state.config.rootfs.diff_ids.length === 0)
    return { state, image: state.layerImageId };
  const loaded = await materialize(docker, state, signal);
  return { state: loaded, image: loaded.layerImageId };
}

/**
 * The layer a container commit made on `parent`: the committed image carries it (and the parent's
 * layers) for the steps that follow.
 */
export async function committedLayer(docker: Docker, parent: ImageState, committedId: string): Promise<NewLayer> {
  const committed = await inspectImage(docker, committedId);
  if (!committed) throw new Error(`committed image ${committedId} disappeared`);
  const before = parent.config.rootfs.diff_ids.length;
  const diffId = committed.diffIds.length > before ? committed.diffIds[committed.diffIds.length - 1] : undefined;
  const parentSize = parent.layerImageId ? ((await inspectImage(docker, parent.layerImageId))?.size ?? 0) : 0;
  return { parent, ref: committedId, diffId, layerSize: Math.max(0, committed.size - parentSize) };
}
