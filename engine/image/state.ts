// The image a stage has built so far: the exact config msbuild will write, and which daemon images
// hold it (one with exactly this config, if loaded; one with the same layers, to run containers from).
import { cloneConfig, configBytes, type HistoryEntry, type ImageConfig } from './config.js';
import { KnownFs, type KnownEntry } from './known-fs.js';
import type { WrittenLayer } from './layer.js';

export interface ImageState {
  config: ImageConfig;
  /** A daemon image whose config is exactly `config`, once loaded. */
  imageId?: string;
  /** The last loaded config (parent link for the next image). */
  parentConfig?: ImageConfig;
  /** Configs after metadata steps since `parentConfig`, loaded with the next image to keep the parent chain. */
  pendingConfigs?: ImageConfig[];
  /** A daemon image with exactly `config.rootfs` (containers start from it); undefined for no layers. */
  layerImageId?: string;
  /** Known filesystem when every layer was written by msbuild (scratch stages); else undefined. */
  knownFs?: KnownFs;
  /** Layers msbuild wrote that are not in the daemon yet (loaded together by materialize). */
  unloadedLayers?: WrittenLayer[];
}

/** Digest of an empty layer tar: a RUN that changed nothing, which BuildKit records as no layer. */
export const emptyLayerDiffId = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

function timestamp(time: Date, epoch: Date | undefined): string {
  return (epoch ?? time).toISOString();
}

/**
 * The state after a step that only changes config: `configAfter` is the planned config (history without
 * times); the layers and the times of earlier entries stay as built.
 */
export function withMetadataStep(state: ImageState, configAfter: ImageConfig, entry: HistoryEntry, time: Date, epoch?: Date): ImageState {
  const config = cloneConfig(configAfter);
  config.rootfs = { type: 'layers', diff_ids: [...state.config.rootfs.diff_ids] };
  config.history = [...state.config.history, ...(entry.created_by === '' ? [] : [{ ...entry, created: timestamp(time, epoch) }])];
  config.created = timestamp(time, epoch);
  return withConfigOnly(state, config);
}

const maxPendingConfigs = 64;

/** The state with a new config and the same layers (nothing loaded yet). */
export function withConfigOnly(state: ImageState, config: ImageConfig): ImageState {
  const pending = state.pendingConfigs ?? [];
  // A step that adds no history entry (ONBUILD) replaces the config it would otherwise chain to.
  const last = pending.at(-1) ?? (state.imageId !== undefined ? state.config : undefined);
  const kept = last && last.history.length === config.history.length ? pending.slice(0, -1) : pending;
  // Only the last few steps keep their own image: a chain of thousands of configs, each with a longer
  // history, would grow quadratically (the parent links they give are a nicety, not a need).
  return { ...state, config, imageId: undefined, pendingConfigs: [...kept, config].slice(-maxPendingConfigs) };
}

/** The config after a step that adds `diffId` (or nothing, when the step changed no file). */
export function configWithLayer(
  state: ImageState,
  configAfter: ImageConfig,
  entry: HistoryEntry,
  diffId: string | undefined,
  time: Date,
  epoch?: Date,
): ImageConfig {
  const config = cloneConfig(configAfter);
  const layered = diffId !== undefined && diffId !== emptyLayerDiffId;
  config.rootfs = { type: 'layers', diff_ids: [...state.config.rootfs.diff_ids, ...(layered ? [diffId] : [])] };
  const historyEntry: HistoryEntry = { ...entry, created: timestamp(time, epoch) };
  if (layered) delete historyEntry.empty_layer;
  else historyEntry.empty_layer = true;
  config.history = [...state.config.history, historyEntry];
  config.created = timestamp(time, epoch);
  return config;
}

/** What a cache entry holds of a step's result (see CacheEntry). */
export interface CachedStep {
  /** Image with the step's layers. */
  imageId: string;
  /** Image whose config is exactly `config`, if one exists. */
  configImageId?: string;
  config: ImageConfig;
  knownFs?: Array<[string, KnownEntry]>;
}

/**
 * The state after a step whose result comes from the cache: the entry's layers, this build's config.
 * When both configs agree the entry's image is the state's image; otherwise the config is loaded later.
 */
export function withCachedStep(state: ImageState, cached: CachedStep, configAfter: ImageConfig, entry: HistoryEntry): ImageState {
  const diffIds = cached.config.rootfs.diff_ids;
  const ours = state.config.rootfs.diff_ids;
  const added = diffIds.length > ours.length ? diffIds[diffIds.length - 1] : undefined;
  // The step's own history time is the entry's: a rebuild with nothing changed gives the same image.
  const recorded = cached.config.history.at(-1)?.created;
  const config = configWithLayer(state, configAfter, entry, added, recorded ? new Date(recorded) : new Date());
  if (recorded) config.created = recorded;
  // The entry's layer sits on the entry's own parents. Ours can be other bytes of the same content (a
  // build running beside this one wrote the same files with other times; keys ignore times): then the
  // entry's chain replaces ours, and the configs chained on our layers are not loaded.
  const ownParents = ours.every((diffId, i) => diffIds[i] === diffId);
  if (!ownParents) {
    config.rootfs = { type: 'layers', diff_ids: [...diffIds] };
    state = { ...state, parentConfig: undefined, pendingConfigs: [], imageId: undefined };
  }
  const knownFs = cached.knownFs ? new KnownFs(cached.knownFs) : undefined;
  const layerImageId = diffIds.length > 0 ? cached.imageId : undefined;
  if (cached.configImageId !== undefined && configBytes(config).equals(configBytes(cached.config))) {
    return { config: cached.config, imageId: cached.configImageId, parentConfig: cached.config, pendingConfigs: [], layerImageId, ...(knownFs ? { knownFs } : {}) };
  }
  // The cached image holds every layer so far: nothing written earlier needs loading any more.
  return { ...withConfigOnly(state, config), layerImageId, knownFs, unloadedLayers: [] };
}
