// The image a stage has built so far: the exact config msbuild will write, and which daemon images
// hold it (one with exactly this config, if loaded; one with the same layers, to run containers from).
import { historyLength, setHistoryAfter } from './config-chain.js';
import { cloneConfig, configBytes, imageIdOf, type HistoryEntry, type ImageConfig } from './config.js';
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

/** What a step changes in the config: the planned config after it, its history entry, and when it ran. */
export interface StepChange {
  /** The planned config after the step (history and rootfs come from execution). */
  configAfter: ImageConfig;
  /** The step's history entry without its time. */
  history: HistoryEntry;
  time: Date;
  /** SOURCE_DATE_EPOCH, when set: the times written instead of `time`. */
  epoch?: Date;
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
export function withMetadataStep(state: ImageState, change: StepChange): ImageState {
  const { configAfter, history: entry, time, epoch } = change;
  const config = cloneConfig(configAfter);
  config.rootfs = { type: 'layers', diff_ids: [...state.config.rootfs.diff_ids] };
  setHistoryAfter(config, state.config, entry.created_by === '' ? [] : [{ ...entry, created: timestamp(time, epoch) }]);
  config.created = timestamp(time, epoch);
  return withConfigOnly(state, config);
}

const maxPendingConfigs = 64;
/** At most this many history entries in the pending configs together: each is loaded as an image of its own. */
const maxPendingHistory = 4096;

/** The state with a new config and the same layers (nothing loaded yet). */
export function withConfigOnly(state: ImageState, config: ImageConfig): ImageState {
  const pending = state.pendingConfigs ?? [];
  // A step that adds no history entry (ONBUILD) replaces the config it would otherwise chain to.
  const last = pending.at(-1) ?? (state.imageId !== undefined ? state.config : undefined);
  const kept = last && historyLength(last) === historyLength(config) ? pending.slice(0, -1) : pending;
  // Only the last few steps keep their own image: a chain of thousands of configs, each with a longer
  // history, would grow quadratically (the parent links they give are a nicety, not a need). A stage
  // of thousands of steps keeps fewer: the daemon would be handed every one of those long configs.
  const pendingConfigs = [...kept, config].slice(-maxPendingConfigs);
  let history = pendingConfigs.reduce((sum, pendingConfig) => sum + historyLength(pendingConfig), 0);
  while (pendingConfigs.length > 1 && history > maxPendingHistory)
    history -= historyLength(pendingConfigs.shift() as ImageConfig);
  return { ...state, config, imageId: undefined, pendingConfigs };
}

/** The config after a step that adds `diffId` (or nothing, when the step changed no file). */
export function configWithLayer(state: ImageState, change: StepChange, diffId: string | undefined): ImageConfig {
  const { configAfter, history: entry, time, epoch } = change;
  const config = cloneConfig(configAfter);
  const layered = diffId !== undefined && diffId !== emptyLayerDiffId;
  config.rootfs = { type: 'layers', diff_ids: [...state.config.rootfs.diff_ids, ...(layered ? [diffId] : [])] };
  const historyEntry: HistoryEntry = { ...entry, created: timestamp(time, epoch) };
  if (layered) delete historyEntry.empty_layer;
  else historyEntry.empty_layer = true;
  setHistoryAfter(config, state.config, [historyEntry]);
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
export function withCachedStep(
  state: ImageState,
  cached: CachedStep,
  configAfter: ImageConfig,
  entry: HistoryEntry,
): ImageState {
  const diffIds = cached.config.rootfs.diff_ids;
  const ours = state.config.rootfs.diff_ids;
  const added = diffIds.length > ours.length ? diffIds[diffIds.length - 1] : undefined;
  // The step's own history time is the entry's: a rebuild with nothing changed gives the same image.
  const recorded = cached.config.history.at(-1)?.created;
  const config = configWithLayer(
    state,
    { configAfter, history: entry, time: recorded ? new Date(recorded) : new Date() },
    added,
  );
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
    return {
      config: cached.config,
      imageId: cached.configImageId,
      parentConfig: cached.config,
      pendingConfigs: [],
      layerImageId,
      ...(knownFs ? { knownFs } : {}),
    };
  }
  // The cached image holds every layer so far: nothing written earlier needs loading any more.
  return { ...withConfigOnly(state, config), layerImageId, knownFs, unloadedLayers: [] };
}

/** The configs to load along with a new image: the last loaded one and the metadata steps since. */
export function ancestorsOf(state: ImageState): ImageConfig[] {
  return [...(state.parentConfig ? [state.parentConfig] : []), ...(state.pendingConfigs ?? [])];
}

/** The IDs of the images a load of `state` makes: its config's and those of the steps since the last load. */
export function imagesLoadedWith(state: ImageState): string[] {
  return [...ancestorsOf(state), state.config].map((config) => imageIdOf(config));
}

/**
 * The state after a layer msbuild wrote: not loaded yet. Consecutive written layers (a final stage's
 * COPYs) go to the daemon together, in one load, when something needs the image.
 */
export function addWrittenLayer(state: ImageState, layer: WrittenLayer | undefined, change: StepChange): ImageState {
  const config = configWithLayer(state, change, layer?.diffId);
  return {
    ...withConfigOnly(state, config),
    layerImageId: layer ? undefined : state.layerImageId,
    unloadedLayers: [...(state.unloadedLayers ?? []), ...(layer ? [layer] : [])],
  };
}

/**
 * The state after a layer a worker made on `parent` (a RUN's changes, files put into a mount): the
 * worker's ref holds the layers; our config for them is loaded later, with the stage's result.
 */
export function withNewLayer(
  layer: { parent: ImageState; ref: string; diffId: string | undefined },
  change: StepChange,
): ImageState {
  const config = configWithLayer(layer.parent, change, layer.diffId);
  return { ...withConfigOnly(layer.parent, config), layerImageId: layer.ref, knownFs: undefined };
}
