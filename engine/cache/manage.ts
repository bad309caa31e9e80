// Cache housekeeping for `msbuild cache ls|du|prune`: what the index holds, how big it is, and
// removing entries (and their images, when nothing else needs them) by age or down to a size. A prune
// removes only what the cache owns: an image with a tag (the user's: msbuild tags nothing for its own
// bookkeeping) is never removed, and the entries pointing at it stay, still valid.
import type { ImageStore } from '../worker/image-store.js';
import type { CacheStore, StoredEntry } from './store.js';

export interface CacheUsage {
  entries: number;
  /** Sum of the layers the entries added, in bytes. */
  bytes: number;
  oldestUse?: Date;
  newestUse?: Date;
}

export function usageOf(entries: readonly StoredEntry[]): CacheUsage {
  const uses = entries.map((e) => e.lastUsed.getTime());
  return {
    entries: entries.length,
    bytes: entries.reduce((sum, e) => sum + e.layerSize, 0),
    ...(uses.length > 0 ? { oldestUse: new Date(Math.min(...uses)), newestUse: new Date(Math.max(...uses)) } : {}),
  };
}

/** `24h`, `30m`, `7d`, `1h30m` → milliseconds. */
export function parseAge(text: string): number {
  const units: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };
  let rest = text.trim();
  let total = 0;
  if (rest === '') throw new Error('empty duration');
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)([smhdw])/.exec(rest);
    if (!match) throw new Error(`invalid duration ${JSON.stringify(text)}: use e.g. 24h, 30m, 7d`);
    total += Number(match[1]) * units[match[2]];
    rest = rest.slice(match[0].length);
  }
  return total;
}

export interface PruneOptions {
  /** Remove entries not used for longer than this (ms). */
  unusedFor?: number;
  /** Then remove least recently used entries until the total is at most this many bytes. */
  keepBytes?: number;
  /** Remove everything. */
  all?: boolean;
  now?: Date;
}

export interface PruneResult {
  removed: StoredEntry[];
  kept: number;
  /** Of the kept entries, those whose image has a tag (never pruned). */
  tagged: number;
  freedBytes: number;
}

/** Which entries a prune removes (pure: the caller removes them). */
export function selectForPrune(entries: readonly StoredEntry[], options: PruneOptions): StoredEntry[] {
  if (options.all) return [...entries];
  const now = (options.now ?? new Date()).getTime();
  const byAge =
    options.unusedFor === undefined
      ? []
      : entries.filter((e) => now - e.lastUsed.getTime() > (options.unusedFor as number));
  const chosen = new Set(byAge);
  if (options.keepBytes !== undefined) {
    const remaining = entries.filter((e) => !chosen.has(e)).sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime());
    let total = remaining.reduce((sum, e) => sum + e.layerSize, 0);
    for (const entry of remaining) {
      if (total <= options.keepBytes) break;
      chosen.add(entry);
      total -= entry.layerSize;
    }
  }
  return [...chosen];
}

/**
 * Removes the selected entries of the daemon `images` is in from the index, and their images from it
 * (when unused elsewhere). Entries whose image is tagged are neither selected nor counted against
 * --keep-storage: removing them frees nothing. Only that daemon's scope of the cache dir is pruned
 * (whatever `store` was scoped to); an entry of before scoping counts as its own only when its image
 * is there.
 */
export async function prune(store: CacheStore, images: ImageStore, options: PruneOptions): Promise<PruneResult> {
  const listed = await store.forDaemon(() => images.identity()).list();
  // One listing of every image (intermediate ones too): which are here, and which have a tag.
  const { present, tagged } = await images.inventory();
  const entries = listed.filter((entry) => entry.daemon !== undefined || present.has(entry.imageId));
  const isTagged = (entry: StoredEntry) =>
    tagged.has(entry.imageId) || (entry.configImageId !== undefined && tagged.has(entry.configImageId));
  const removed = selectForPrune(
    entries.filter((entry) => !isTagged(entry)),
    options,
  );
  const removedKeys = new Set(removed.map((e) => e.key));
  const stillUsed = new Set(entries.filter((e) => !removedKeys.has(e.key)).map((e) => e.imageId));
  // Newest first: a child image must go before its parent can.
  for (const entry of [...removed].sort((a, b) => b.config.history.length - a.config.history.length)) {
    await store.removeListed(entry);
    // Asked again just before: a tag given since the listing (a build finishing beside the prune) keeps it.
    if (!stillUsed.has(entry.imageId) && !(await images.isTagged(entry.imageId)))
      await images.remove(entry.imageId).catch(() => undefined);
  }
  return {
    removed,
    kept: entries.length - removed.length,
    tagged: entries.filter(isTagged).length,
    freedBytes: removed.reduce((sum, e) => sum + e.layerSize, 0),
  };
}
