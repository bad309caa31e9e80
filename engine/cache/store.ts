// The on-disk cache index: one JSON file per entry (key → image and its exact config), written by
// rename so concurrent msbuild processes never see or leave a half-written entry. One cache dir serves
// several daemons (the default one is shared by every DOCKER_HOST a user points at): entries name images
// of one daemon, so each daemon's live under `daemons/<its ID>/entries/`, and a look-up against one
// never reads, adopts or deletes another's. Entries of msbuild before scoping (`entries/` at the top)
// are read by every daemon, copied into a daemon's scope when a build there hits them, and never
// deleted by a look-up (their images may be another daemon's).
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MsbuildError } from '../errors.js';
import type { ImageConfig } from '../image/config.js';
import type { KnownEntry } from '../image/known-fs.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { hex } from '../util/digest.js';
import { makeDirectories } from '../util/make-directories.js';

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
  /** The entry's file. */
  path: string;
  /** The daemon scope it is in (a directory name); undefined for an entry of before scoping. */
  daemon?: string;
}

/** `$XDG_CACHE_HOME/msbuild`, else `~/.cache/msbuild`. */
export function defaultCacheDir(): string {
  const base =
    process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME !== ''
      ? process.env.XDG_CACHE_HOME
      : join(homedir(), '.cache');
  return join(base, 'msbuild');
}

/** Reads every entry file under `root` (shard directories) into `into`. */
async function readRoot(
  root: string,
  daemon: string | undefined,
  into: { entries: StoredEntry[]; broken: BrokenEntry[] },
): Promise<void> {
  for (const shard of await readdir(root).catch((): string[] => [])) {
    for (const name of await readdir(join(root, shard)).catch((): string[] => [])) {
      if (!name.endsWith('.json')) continue;
      const path = join(root, shard, name);
      try {
        const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
        const entry = JSON.parse(text) as CacheEntry;
        const problem = entryProblem(entry, name.slice(0, -'.json'.length));
        if (problem) into.broken.push({ path, problem });
        else into.entries.push({ ...entry, lastUsed: info.mtime, path, ...(daemon !== undefined ? { daemon } : {}) });
      } catch (error) {
        // Removed by a prune in another process between readdir and read: not broken.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        into.broken.push({ path, problem: (error as Error).message });
      }
    }
  }
}

/** A file in the index that is not a whole entry. */
export interface BrokenEntry {
  path: string;
  problem: string;
}

/** What is wrong with an entry read from the file `id.json`, or undefined when it is whole. */
function entryProblem(entry: CacheEntry | null, id: string): string | undefined {
  if (typeof entry !== 'object' || entry === null) return 'not a JSON object';
  if (typeof entry.key !== 'string' || hex(entry.key) !== id)
    return `its key ${JSON.stringify(entry.key)} does not match the file name`;
  // An image of the daemon, or a worker's own ref (the OCI worker's snapshots: `oci:<id>`).
  if (typeof entry.imageId !== 'string' || !/^(sha256:[0-9a-f]{64}|oci:[0-9a-f]{8,64})$/.test(entry.imageId))
    return 'no image ID';
  if (typeof entry.config !== 'object' || entry.config === null || !Array.isArray(entry.config.rootfs?.diff_ids))
    return 'no image config';
  return undefined;
}

/** The cache dir cannot be used (a file, a path nothing can be made at, no permission). */
export class CacheError extends MsbuildError {
  override readonly name = 'CacheError';
  override readonly code = 'MSBUILD_CACHE_DIR';
}

export interface CacheStoreOptions {
  /**
   * The ID of the daemon the entries are for (`/info`), asked on first use. Without it the store
   * reads every daemon's entries and writes the unscoped layout (tools and tests that only look).
   */
  daemon?: () => Promise<string>;
}

/** A daemon's identity as a directory name: readable, and hashed when too long for one. */
export function scopeName(daemonId: string): string {
  const name = daemonId.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^\.+/, '');
  if (name.length <= 120 && name !== '') return name;
  return `${name.slice(0, 100)}-${createHash('sha256').update(daemonId).digest('hex').slice(0, 16)}`;
}

function entryPathIn(root: string, key: string): string {
  const id = hex(key);
  return join(root, id.slice(0, 2), `${id}.json`);
}

async function readEntry(path: string, key: string): Promise<CacheEntry | undefined> {
  try {
    const entry = JSON.parse(await readFile(path, 'utf8')) as CacheEntry;
    return entry.key === key ? entry : undefined;
  } catch {
    // Missing, or unreadable: either way a miss (never an error for the build).
    return undefined;
  }
}

export class CacheStore {
  private scope: Promise<string | undefined> | undefined;

  constructor(
    readonly dir: string,
    private readonly options: CacheStoreOptions = {},
  ) {}

  /** The same cache dir, scoped to the daemon `daemon` names (see CacheStoreOptions). */
  forDaemon(daemon: () => Promise<string>): CacheStore {
    return new CacheStore(this.dir, { ...this.options, daemon });
  }

  /** Makes the cache dir if needed, failing at once with what is wrong (before a build does any work). */
  async prepare(): Promise<void> {
    try {
      await makeDirectories(this.dir);
    } catch (error) {
      throw new CacheError(`cannot use the cache dir ${this.dir}: ${(error as Error).message}`);
    }
  }

  /** Entries of before scoping; the only root of an unscoped store. */
  private get legacyRoot(): string {
    return join(this.dir, 'entries');
  }

  /** The daemon's scope directory name, once asked; undefined for an unscoped store. */
  private daemonScope(): Promise<string | undefined> {
    this.scope ??= this.options.daemon ? this.options.daemon().then(scopeName) : Promise.resolve(undefined);
    return this.scope;
  }

  /** Where this store writes entries: its daemon's scope, or the unscoped layout. */
  private async ownRoot(): Promise<string> {
    const scope = await this.daemonScope();
    return scope === undefined ? this.legacyRoot : join(this.dir, 'daemons', scope, 'entries');
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const own = await this.ownRoot();
    const entry = await readEntry(entryPathIn(own, key), key);
    if (entry !== undefined || own === this.legacyRoot) return entry;
    return readEntry(entryPathIn(this.legacyRoot, key), key);
  }

  async put(entry: CacheEntry): Promise<void> {
    await writeFileAtomic(entryPathIn(await this.ownRoot(), entry.key), JSON.stringify(entry));
  }

  /**
   * Marks an entry as used now (its mtime), for `cache ls` and LRU pruning. An entry of before scoping
   * that a build hit (its image is in this daemon) is copied into the daemon's scope.
   */
  async touch(key: string): Promise<void> {
    const now = new Date();
    const own = await this.ownRoot();
    try {
      await utimes(entryPathIn(own, key), now, now);
    } catch {
      const legacy = own === this.legacyRoot ? undefined : await readEntry(entryPathIn(this.legacyRoot, key), key);
      if (legacy !== undefined) await this.put(legacy).catch(() => undefined);
    }
  }

  /** Removes the entry from this daemon's scope (an entry of before scoping stays: it may be another daemon's). */
  async remove(key: string): Promise<void> {
    await rm(entryPathIn(await this.ownRoot(), key), { force: true });
  }

  /** Removes a listed entry, wherever it is (prune, which checked the entry's image is this daemon's). */
  async removeListed(entry: StoredEntry): Promise<void> {
    await rm(entry.path, { force: true });
  }

  /** Every readable entry. Unreadable files are skipped: a build treats them as misses (see verify). */
  async list(): Promise<StoredEntry[]> {
    return (await this.verify()).entries;
  }

  /**
   * Every entry, and the files that are not whole entries (unparseable, named for another key, or
   * missing what a build needs), which list() skips: for `cache ls` and tests to see them. A scoped
   * store lists its daemon's entries and those of before scoping it has no copy of; an unscoped one,
   * every daemon's.
   */
  async verify(): Promise<{ entries: StoredEntry[]; broken: BrokenEntry[] }> {
    const scope = await this.daemonScope();
    const daemons = join(this.dir, 'daemons');
    const scopes = scope !== undefined ? [scope] : await readdir(daemons).catch((): string[] => []);
    const entries: StoredEntry[] = [];
    const broken: BrokenEntry[] = [];
    for (const name of scopes) await readRoot(join(daemons, name, 'entries'), name, { entries, broken });
    const scoped = new Set(entries.map((entry) => entry.key));
    const legacy: StoredEntry[] = [];
    await readRoot(this.legacyRoot, undefined, { entries: legacy, broken });
    entries.push(...(scope === undefined ? legacy : legacy.filter((entry) => !scoped.has(entry.key))));
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
