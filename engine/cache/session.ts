// The step cache as one process sees it (BuildKit's cachemanager, apart from the solver): the on-disk
// index, the memos that spare re-reading files (file digests by identity, COPY --from digests by
// image and sources) loaded once and saved once, and the entries waiting for their image to be
// loaded. Every target of a bake shares one session, so what one target learns the others use, and
// the memo files are written once, with everything every target added.
import type { ImageStore } from '../worker/image-store.js';
import type { FileDigestMemo } from './content-digest.js';
import type { CacheEntry, CacheStore } from './store.js';

/** Remembered file digests kept across builds (~120 bytes each on disk). */
const memoLimit = 200_000;

/** The last `limit` entries of a map, in order. */
function newest<K, V>(map: ReadonlyMap<K, V> | ReadonlyArray<[K, V]>, limit: number): Array<[K, V]> {
  const entries = [...map];
  return entries.length > limit ? entries.slice(entries.length - limit) : entries;
}

/**
 * The memo's entries with those used lately moved last, so what is trimmed when it is saved is what
 * no build used lately (the order is saved with the next change; a session that changed nothing
 * writes nothing). Reordering once at the end costs less than moving every hit during the walk.
 */
function usedLast<K, V>(map: ReadonlyMap<K, V>, used: ReadonlySet<K>): Array<[K, V]> {
  const entries = [...map];
  return [...entries.filter(([key]) => !used.has(key)), ...entries.filter(([key]) => used.has(key))];
}

export class CacheSession {
  private loaded: Promise<void> | undefined;
  private fileDigests = new Map<string, string>();
  /** Memo entries read since loading, so the saved memo keeps them longest. */
  private readonly fileDigestsUsed = new Set<string>();
  /** COPY --from content digests by (image, sources): a stage rebuilt to the same image needs no fetch. */
  private fromDigests = new Map<string, string>();
  private changed = false;
  /**
   * Entries of steps whose image exists only once their stage is loaded (layers msbuild wrote onto a
   * scratch stage), by that image's ID, with the build that made them: written when the load
   * succeeded, so the index never points at an image that was never made.
   */
  private readonly pending = new Map<string, Array<{ owner: string; entry: CacheEntry }>>();

  constructor(readonly store: CacheStore) {}

  /** Reads the memos (once per session; later calls wait for the same read). */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      const [files, from] = await Promise.all([
        this.store.readJson<Record<string, string>>('file-digests.json'),
        this.store.readJson<Record<string, string>>('from-digests.json'),
      ]);
      this.fileDigests = new Map(Object.entries(files ?? {}));
      this.fromDigests = new Map(Object.entries(from ?? {}));
    })();
    return this.loaded;
  }

  /** File digests by identity (inode, size, change times), shared by COPY and bind mounts. */
  readonly fileMemo: FileDigestMemo = {
    get: (identity) => {
      const digest = this.fileDigests.get(identity);
      if (digest !== undefined) this.fileDigestsUsed.add(identity);
      return digest;
    },
    set: (identity, digest) => {
      this.fileDigests.set(identity, digest);
      this.changed = true;
    },
  };

  /** Content digests of image paths by `digestOf({ image, … })`: an image seen before needs no fetch. */
  readonly imageDigests = {
    get: (key: string): string | undefined => this.fromDigests.get(key),
    has: (key: string): boolean => this.fromDigests.has(key),
    set: (key: string, digest: string): void => {
      this.fromDigests.set(key, digest);
      this.changed = true;
    },
  };

  /** Keeps `entry` until an image with ID `imageId` is known to exist (see recordLoaded). */
  addPending(owner: string, imageId: string, entry: CacheEntry): void {
    this.pending.set(imageId, [...(this.pending.get(imageId) ?? []), { owner, entry }]);
  }

  /** Writes the pending entries of images just loaded (their IDs). */
  async recordLoaded(imageIds: readonly string[]): Promise<void> {
    for (const id of imageIds) await this.writePending(id);
  }

  /**
   * At the end of build `owner`: its pending entries whose image the daemon has are written (asked
   * briefly; not at all when `stopped`, for an interrupted build or a daemon that stopped answering:
   * then they go). Entries of other builds of the session wait for their own builds.
   */
  async settle(owner: string, images: ImageStore, stopped: boolean): Promise<void> {
    for (const [id, waiting] of [...this.pending]) {
      if (!waiting.some((item) => item.owner === owner)) continue;
      if (!stopped && (await images.confirm(id, 2000))) await this.writePending(id);
      else this.dropPending(id, owner);
    }
  }

  private async writePending(id: string): Promise<void> {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    for (const { entry } of waiting) await this.store.put(entry);
  }

  private dropPending(id: string, owner: string): void {
    const rest = (this.pending.get(id) ?? []).filter((item) => item.owner !== owner);
    if (rest.length > 0) this.pending.set(id, rest);
    else this.pending.delete(id);
  }

  /** Writes the memos when something changed (failures are ignored: a memo only saves time). */
  async save(): Promise<void> {
    if (!this.changed) return;
    this.changed = false;
    await this.store
      .writeJson(
        'file-digests.json',
        Object.fromEntries(newest(usedLast(this.fileDigests, this.fileDigestsUsed), memoLimit)),
      )
      .catch(() => undefined);
    await this.store
      .writeJson('from-digests.json', Object.fromEntries(newest(this.fromDigests, memoLimit)))
      .catch(() => undefined);
  }
}
