// Cache housekeeping for `msbuild cache ls|du|prune`: what the index holds, how big it is, and
// removing entries (and their images, when nothing else needs them) by age or down to a size.
import type Docker from 'dockerode';
import { removeImage } from '../docker/images.js';
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
  freedBytes: number;
}

/** Which entries a prune removes (pure: the caller removes them). */
export function selectForPrune(entries: readonly StoredEntry[], options: PruneOptions): StoredEntry[] {
  if (options.all) return [...entries];
  const now = (options.now ?? new Date()).getTime();
  const byAge = options.unusedFor === undefined ? [] : entries.filter((e) => now - e.lastUsed.getTime() > (options.unusedFor as number));
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

/** Removes the selected entries from the index and their images from the daemon (when unused elsewhere). */
export async function prune(store: CacheStore, docker: Docker | undefined, options: PruneOptions): Promise<PruneResult> {
  const entries = await store.list();
  const removed = selectForPrune(entries, options);
  const removedKeys = new Set(removed.map((e) => e.key));
  const stillUsed = new Set(entries.filter((e) => !removedKeys.has(e.key)).map((e) => e.imageId));
  // Newest first: a child image must go before its parent can.
  for (const entry of [...removed].sort((a, b) => b.config.history.length - a.config.history.length)) {
    await store.remove(entry.key);
    if (docker && !stillUsed.has(entry.imageId)) await removeImage(docker, entry.imageId).catch(() => undefined);
  }
  return { removed, kept: entries.length - removed.length, freedBytes: removed.reduce((sum, e) => sum + e.layerSize, 0) };
}
