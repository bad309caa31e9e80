// The daemon's images as the engine above the worker sees them: both workers export into the same
// daemon, so cache entries, outputs, tags and cache export/import go through this one interface
// (implemented on the Engine API in engine/docker/image-store.ts).
import type { Readable } from 'node:stream';
import { MsbuildError } from '../errors.js';
import type { ImageConfig } from '../image/config.js';

/** Layers msbuild wrote, to load with an image. */
export interface LayerFile {
  diffId: string;
  /** Uncompressed layer tar on disk. */
  path: string;
}

/**
 * A layer sent as it is read (a registry blob): `size` bytes of tar, or of compressed tar, which the
 * daemon unpacks; either way it checks the result against `diffId`.
 */
export interface LayerStream {
  diffId: string;
  size: number;
  open(): Promise<Readable>;
}

export interface LoadRequest {
  config: ImageConfig;
  /** Layers of `config` the daemon does not have yet (others are referenced by chain ID). */
  newLayers?: Array<LayerFile | LayerStream>;
  /** The configs of the steps before, oldest first: loaded alongside, linked as parents where allowed. */
  ancestors?: ImageConfig[];
  tags?: string[];
}

/** The daemon's images at one moment: which exist (intermediate ones too), and which are someone's. */
export interface ImageInventory {
  present: ReadonlySet<string>;
  /** Images with a tag or a digest reference (msbuild gives none for its own bookkeeping: the user's). */
  tagged: ReadonlySet<string>;
}

/** One line of a push's or pull's progress, as the daemon reports it. */
export interface TransferProgress {
  /** A layer's short ID, when the line is about one. */
  id?: string;
  /** The daemon's words: `Pushing`, `Pushed`, `Layer already exists`, `Mounted from x`, `Pull complete`… */
  status: string;
  current?: number;
  total?: number;
}

/** How a push or pull is made: the credentials to send, what stops it, where its progress goes. */
export interface RegistryTransfer {
  /** The X-Registry-Auth value (base64url JSON of the credentials); none: anonymous. */
  registryAuth?: string;
  signal?: AbortSignal;
  onProgress?: (progress: TransferProgress) => void;
}

/** A push or pull the daemon (or the registry behind it) refused: `message` is its own words. */
export class ImageTransferError extends MsbuildError {
  override readonly name = 'ImageTransferError';
  override readonly code = 'MSBUILD_IMAGE_TRANSFER';
}

export interface ImageStore {
  /**
   * What tells this store's daemon from any other, as a string: cache entries name images of one
   * daemon, so a cache dir several daemons share keeps each one's entries apart by it.
   */
  identity(): Promise<string>;
  /** Every image, and which have a tag (for `cache prune`, which never removes those). */
  inventory(): Promise<ImageInventory>;
  /** True when the image has a tag now, or the daemon cannot say (either way it must stay). */
  isTagged(id: string): Promise<boolean>;
  /**
   * True when the image (or any ref a worker wrote into a cache entry, such as a snapshot of its own)
   * still exists; asked once per ref per build (only presence is remembered). A cache entry whose
   * ref is gone is a miss.
   */
  has(id: string): Promise<boolean>;
  /** Asks the daemon now whether it has the image, waiting at most `withinMs` (false when it does not answer). */
  confirm(id: string, withinMs: number): Promise<boolean>;
  /** Bytes of the image (all its layers), as `docker images` shows; 0 when unknown. */
  size(id: string): Promise<number>;
  /** Removes the image unless something still uses it (a container, a tagged child): then it stays. */
  remove(id: string): Promise<void>;
  /** Tags the image (`name[:tag]`). */
  tag(id: string, reference: string): Promise<void>;
  /** `docker save` of the images: a tar stream with each layer once. */
  save(ids: readonly string[]): Promise<Readable>;
  /** `docker load` of an image msbuild authored; returns its ID. */
  load(request: LoadRequest, signal?: AbortSignal): Promise<string>;
  /** Pushes the image tagged `reference` (repo:tag); resolves with the manifest digest the registry stored. */
  push(reference: string, transfer: RegistryTransfer): Promise<{ digest: string }>;
  /** Pulls `reference` (a tag or a digest) into the daemon. */
  pull(reference: string, transfer: RegistryTransfer): Promise<void>;
}
