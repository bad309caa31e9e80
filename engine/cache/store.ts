// The on-disk cache index: one JSON file per entry (key → image and its exact config), written by
// rename so concurrent msbuild processes never see or leave a half-written entry.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ImageConfig } from '../image/config.js';
import type { KnownEntry } from '../image/known-fs.js';

/** What a step read when it ran, kept so a later miss can say what changed. */
export interface StepInputsRecord {
  key: string;
  parentKey: string;
  /** The instruction as it ran (expanded). */
  instruction: string;
  /** Environment and args the step saw (RUN), `KEY=value`. */
  env?: string[];
  /** Files read (COPY/ADD): path → digest of path, type, mode, owner and content. */
  files?: Record<string, string>;
  /** When the file list was too long to keep, its overall digest. */
  filesDigest?: string;
  /** Base image ID, for a stage's first step. */
  baseImage?: string;
  time: string;
}

export interface CacheEntry {
  key: string;
  /** A daemon image holding exactly the entry's layers (the step's result). */
  imageId: string;
  /** A daemon image whose config is exactly `config`, when one was loaded. */
  configImageId?: string;
  config: ImageConfig;
  stage: string;
  /** Step as progress shows it, e.g. `RUN go build ...`. */
  step: string;
  /** Seconds the step took to run (what a hit saves). */
  seconds: number;
  /** Bytes the step's layer adds. */
  layerSize: number;
  created: string;
  /** Known filesystem of scratch stages, so later COPYs need no container. */
  knownFs?: Array<[string, KnownEntry]>;
  inputs?: StepInputsRecord;
}

export interface StoredEntry extends CacheEntry {
  /** Last time a build used the entry (the file's mtime). */
  lastUsed: Date;
}

/** `$XDG_CACHE_HOME/msbuild`, else `~/.cache/msbuild`. */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME !== '' ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'msbuild');
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory, then rename. The
 * directory is made when missing, unless `createDirectory` is false (a file the user named).
 */
export async function writeFileAtomic(path: string, data: string | Buffer, options: { createDirectory?: boolean } = {}): Promise<void> {
  if (options.createDirectory !== false) await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

const hex = (key: string) => key.replace(/^sha256:/, '');

/** A file in the index that is not a whole entry. */
export interface BrokenEntry {
  path: string;
  problem: string;
}

/** What is wrong with an entry read from the file `id.json`, or undefined when it is whole. */
function entryProblem(entry: CacheEntry | null, id: string): string | undefined {
  if (typeof entry !== 'object' || entry === null) return 'not a JSON object';
  if (typeof entry.key !== 'string' || hex(entry.key) !== id) return `its key ${JSON.stringify(entry.key)} does not match the file name`;
  if (typeof entry.imageId !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(entry.imageId)) return 'no image ID';
  if (typeof entry.config !== 'object' || entry.config === null || !Array.isArray(entry.config.rootfs?.diff_ids)) return 'no image config';
  return undefined;
}

export class CacheStore {
  constructor(readonly dir: string) {}

  private entryPath(key: string): string {
    const id = hex(key);
    return join(this.dir, 'entries', id.slice(0, 2), `${id}.json`);
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    try {
      const entry = JSON.parse(await readFile(this.entryPath(key), 'utf8')) as CacheEntry;
      return entry.key === key ? entry : undefined;
    } catch {
      // Missing, or unreadable: either way a miss (never an error for the build).
      return undefined;
    }
  }

  async put(entry: CacheEntry): Promise<void> {
    await writeFileAtomic(this.entryPath(entry.key), JSON.stringify(entry));
  }

  /** Marks an entry as used now (its mtime), for `cache ls` and LRU pruning. */
  async touch(key: string): Promise<void> {
    const now = new Date();
    await utimes(this.entryPath(key), now, now).catch(() => undefined);
  }

  async remove(key: string): Promise<void> {
    await rm(this.entryPath(key), { force: true });
  }

  /** Every readable entry. Unreadable files are skipped: a build treats them as misses (see verify). */
  async list(): Promise<StoredEntry[]> {
    return (await this.verify()).entries;
  }

  /**
   * Every entry, and the files that are not whole entries (unparseable, named for another key, or
   * missing what a build needs), which list() skips: for `cache ls` and tests to see them.
   */
  async verify(): Promise<{ entries: StoredEntry[]; broken: BrokenEntry[] }> {
    const root = join(this.dir, 'entries');
    let shards: string[];
    try {
      shards = await readdir(root);
    } catch {
      return { entries: [], broken: [] };
    }
    const entries: StoredEntry[] = [];
    const broken: BrokenEntry[] = [];
    for (const shard of shards) {
      for (const name of await readdir(join(root, shard)).catch(() => [] as string[])) {
        if (!name.endsWith('.json')) continue;
        const path = join(root, shard, name);
        try {
          const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
          const entry = JSON.parse(text) as CacheEntry;
          const problem = entryProblem(entry, name.slice(0, -'.json'.length));
          if (problem) broken.push({ path, problem });
          else entries.push({ ...entry, lastUsed: info.mtime });
        } catch (error) {
          // Removed by a prune in another process between readdir and read: not broken.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          broken.push({ path, problem: (error as Error).message });
        }
      }
    }
    return { entries, broken };
  }

  private stepPath(identity: string): string {
    return join(this.dir, 'steps', `${hex(identity)}.json`);
  }

  /** The inputs the step with this identity (context, Dockerfile, stage, position) had last time. */
  async lastInputs(identity: string): Promise<StepInputsRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.stepPath(identity), 'utf8')) as StepInputsRecord;
    } catch {
      return undefined;
    }
  }

  async recordInputs(identity: string, inputs: StepInputsRecord): Promise<void> {
    await writeFileAtomic(this.stepPath(identity), JSON.stringify(inputs));
  }

  /** A small persistent key/value file (e.g. the file digest memo). */
  async readJson<T>(name: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, name), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    await writeFileAtomic(join(this.dir, name), JSON.stringify(value));
  }
}
