// The OCI worker's snapshot store: `<state>/snapshots/<id>/` holds one layer as a directory tree
// (`fs`, an overlay upper dir) and/or as a layer tar (`layer.tar`), with `meta.json` (parent, diff
// ID, sizes). Either form is made from the other when first needed: a RUN's tree is tarred only
// when its layer goes to the daemon, a COPY's tar is unpacked only when a later step mounts it.
// A snapshot is made in `new-<pid>-<id>` and renamed when complete, so no process ever sees half of
// one, and a killed process's leftovers are recognised by its pid. Snapshots never change after
// that but for a form added (by rename, atomically). Builds using the store hold a use file
// (`uses/<pid>`); garbage collection runs only when no other live process uses the store.
import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../util/owner.js';
import { OciError } from './errors.js';

export interface SnapshotMeta {
  id: string;
  /** The snapshot below this one, if it is one of ours. */
  parent?: string;
  /** A daemon image below the whole chain (its own layers are read in place). */
  baseImage?: string;
  /** sha256 of the layer tar, once written. */
  diffId?: string;
  /** Bytes of the layer tar, once written. */
  layerSize?: number;
  /** Bytes of file content the layer adds (what `docker history` shows). */
  contentSize?: number;
  /** Bytes on disk of the tree, once it exists. */
  fsSize?: number;
  /** Bytes of file content in the tree (a RUN's layer size before its tar exists). */
  treeContentSize?: number;
  created: string;
}

export interface StoredSnapshot extends SnapshotMeta {
  lastUsed: Date;
  hasFs: boolean;
  hasLayer: boolean;
}

const newPrefix = 'new-';

/** Builds of this process using each state dir. */
const usesHere = new Map<string, number>();
const idPattern = /^[0-9a-f]{16}$/;

/** A snapshot being made: its dirs, until committed or discarded. */
export interface NewSnapshot {
  id: string;
  dir: string;
  fs: string;
  work: string;
}

export class SnapshotStore {
  readonly root: string;
  private readonly usesDir: string;
  /**
   * Snapshots chain() read, by ID: a chain is walked for every cache hit, so each link is read once
   * per store (a build's) instead of once per step after it. Only snapshots found are kept; this
   * store's own changes drop them, and no other process collects while a build uses the store.
   */
  private readonly links = new Map<string, Promise<StoredSnapshot | undefined>>();

  constructor(readonly stateDir: string) {
    this.root = join(stateDir, 'snapshots');
    this.usesDir = join(stateDir, 'uses');
  }

  dirOf(id: string): string {
    return join(this.root, id);
  }

  fsOf(id: string): string {
    return join(this.root, id, 'fs');
  }

  layerOf(id: string): string {
    return join(this.root, id, 'layer.tar');
  }

  /** A new snapshot's dirs (`fs` empty, `work` for the overlay), owned by this process until committed. */
  async create(options: { fsMode?: number; fsOwner?: { uid: number; gid: number } } = {}): Promise<NewSnapshot> {
    const id = randomBytes(8).toString('hex');
    const dir = join(this.root, `${newPrefix}${process.pid}-${id}`);
    await mkdir(join(dir, 'work'), { recursive: true });
    const fs = join(dir, 'fs');
    // The upper root's owner and mode mask the lower root's: they are the parent's, as containerd makes them.
    await mkdir(fs);
    await chmod(fs, options.fsMode ?? 0o755);
    if (options.fsOwner) await chown(fs, options.fsOwner.uid, options.fsOwner.gid);
    return { id, dir, fs, work: join(dir, 'work') };
  }

  /** Makes a new snapshot visible under its ID with `meta`; its work dir goes. */
  async commit(snapshot: NewSnapshot, meta: Omit<SnapshotMeta, 'id' | 'created'>): Promise<SnapshotMeta> {
    const full: SnapshotMeta = { ...meta, id: snapshot.id, created: new Date().toISOString() };
    await rm(snapshot.work, { recursive: true, force: true });
    await writeFile(join(snapshot.dir, 'meta.json'), JSON.stringify(full));
    await rename(snapshot.dir, this.dirOf(snapshot.id));
    return full;
  }

  /** Removes a committed snapshot nothing refers to yet (a step that changed no file). */
  async discardCommitted(id: string): Promise<void> {
    assertSnapshotId(id);
    this.links.delete(id);
    await rm(this.dirOf(id), { recursive: true, force: true });
  }

  async discard(snapshot: NewSnapshot): Promise<void> {
    await rm(snapshot.dir, { recursive: true, force: true });
  }

  /** A snapshot known only as a layer tar (a COPY's): `tar` is moved in. */
  async commitLayer(options: {
    tar: string;
    diffId: string;
    layerSize: number;
    contentSize: number;
    parent?: string;
    baseImage?: string;
  }): Promise<SnapshotMeta> {
    const id = randomBytes(8).toString('hex');
    const dir = join(this.root, `${newPrefix}${process.pid}-${id}`);
    await mkdir(dir, { recursive: true });
    try {
      await moveFile(options.tar, join(dir, 'layer.tar'));
      const meta: SnapshotMeta = {
        id,
        ...(options.parent ? { parent: options.parent } : {}),
        ...(options.baseImage ? { baseImage: options.baseImage } : {}),
        diffId: options.diffId,
        layerSize: options.layerSize,
        contentSize: options.contentSize,
        created: new Date().toISOString(),
      };
      await writeFile(join(dir, 'meta.json'), JSON.stringify(meta));
      await rename(dir, this.dirOf(id));
      return meta;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  async get(id: string): Promise<StoredSnapshot | undefined> {
    if (!idPattern.test(id)) return undefined;
    const dir = this.dirOf(id);
    try {
      const [text, info] = await Promise.all([readFile(join(dir, 'meta.json'), 'utf8'), stat(join(dir, 'meta.json'))]);
      const meta = JSON.parse(text) as SnapshotMeta;
      const [hasFs, hasLayer] = await Promise.all([exists(join(dir, 'fs')), exists(join(dir, 'layer.tar'))]);
      return { ...meta, lastUsed: info.mtime, hasFs, hasLayer };
    } catch {
      return undefined;
    }
  }

  /** The snapshot and its parents, newest first; undefined when any of them is gone. */
  async chain(id: string): Promise<StoredSnapshot[] | undefined> {
    const chain: StoredSnapshot[] = [];
    for (let next: string | undefined = id; next !== undefined;) {
      const snapshot = await this.link(next);
      if (!snapshot || chain.length > 10_000) return undefined;
      chain.push(snapshot);
      next = snapshot.parent;
    }
    return chain;
  }

  private link(id: string): Promise<StoredSnapshot | undefined> {
    let known = this.links.get(id);
    if (!known) {
      known = this.get(id);
      this.links.set(id, known);
      known.then(
        (snapshot) => snapshot ?? this.links.delete(id),
        () => this.links.delete(id),
      );
    }
    return known;
  }

  /** Marks snapshots as used now (garbage collection removes the least recently used first). */
  async touch(ids: readonly string[]): Promise<void> {
    const now = new Date();
    await Promise.all(ids.map((id) => utimes(join(this.dirOf(id), 'meta.json'), now, now).catch(() => undefined)));
  }

  /** Rewrites a committed snapshot's metadata (a form added). */
  async update(id: string, change: Partial<SnapshotMeta>): Promise<void> {
    this.links.delete(id);
    const path = join(this.dirOf(id), 'meta.json');
    const meta = { ...(JSON.parse(await readFile(path, 'utf8')) as SnapshotMeta), ...change, id };
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(meta));
    await rename(temporary, path);
    this.links.delete(id);
  }

  /**
   * Puts `made` (a dir or file this process wrote beside the snapshot) in place as `name` of
   * snapshot `id`; false when another process was first (then `made` is removed).
   */
  async adopt(id: string, made: string, name: 'fs' | 'layer.tar'): Promise<boolean> {
    try {
      return await this.adoptForm(id, made, name);
    } finally {
      this.links.delete(id);
    }
  }

  private async adoptForm(id: string, made: string, name: 'fs' | 'layer.tar'): Promise<boolean> {
    const final = join(this.dirOf(id), name);
    if (await exists(final)) {
      await rm(made, { recursive: true, force: true });
      return false;
    }
    try {
      await rename(made, final);
      return true;
    } catch (error) {
      await rm(made, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw error;
    }
  }

  /** A scratch path beside snapshot `id`'s files, for a form being made (`fs.new-<pid>-…`). */
  scratchFor(id: string, name: 'fs' | 'layer.tar'): string {
    return join(this.dirOf(id), `${name}.new-${process.pid}-${randomBytes(4).toString('hex')}`);
  }

  async list(): Promise<StoredSnapshot[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const found = await Promise.all(names.filter((n) => idPattern.test(n)).map((n) => this.get(n)));
    return found.filter((s): s is StoredSnapshot => s !== undefined);
  }

  /** Bytes a snapshot takes on disk (tree and tar). */
  static sizeOf(snapshot: SnapshotMeta & { hasFs?: boolean; hasLayer?: boolean }): number {
    return (
      (snapshot.hasFs === false ? 0 : (snapshot.fsSize ?? 0)) +
      (snapshot.hasLayer === false ? 0 : (snapshot.layerSize ?? 0))
    );
  }

  /**
   * Marks this process as using the store until `releaseUse`: collection waits for no other user.
   * Counted per state dir, since one process may run several builds at once (bake).
   */
  async acquireUse(): Promise<void> {
    usesHere.set(this.stateDir, (usesHere.get(this.stateDir) ?? 0) + 1);
    await mkdir(this.usesDir, { recursive: true });
    await writeFile(join(this.usesDir, String(process.pid)), new Date().toISOString());
  }

  /** Builds of this process using the store now. */
  get usesInProcess(): number {
    return usesHere.get(this.stateDir) ?? 0;
  }

  async releaseUse(): Promise<void> {
    const left = (usesHere.get(this.stateDir) ?? 1) - 1;
    usesHere.set(this.stateDir, left);
    if (left <= 0) await rm(join(this.usesDir, String(process.pid)), { force: true });
  }

  /** Live processes other than this one using the store. */
  async otherUsers(): Promise<number[]> {
    const names = await readdir(this.usesDir).catch(() => [] as string[]);
    const pids: number[] = [];
    for (const name of names) {
      const pid = Number(name);
      if (pid === process.pid) continue;
      if (processAlive(pid)) pids.push(pid);
      else await rm(join(this.usesDir, name), { force: true });
    }
    return pids;
  }

  /**
   * Removes least recently used snapshots until the store holds at most `limitBytes` (all of them
   * with `all`), children before their parents. Nothing is removed while another process uses the
   * store: then `busy` lists those processes.
   */
  async collect(options: { limitBytes?: number; all?: boolean; keep?: ReadonlySet<string> }): Promise<{
    removed: StoredSnapshot[];
    freedBytes: number;
    busy: number[];
  }> {
    const busy = await this.otherUsers();
    if (busy.length > 0) return { removed: [], freedBytes: 0, busy };
    this.links.clear();
    const snapshots = await this.list();
    let total = snapshots.reduce((sum, s) => sum + SnapshotStore.sizeOf(s), 0);
    const children = new Map<string, number>();
    for (const s of snapshots) if (s.parent) children.set(s.parent, (children.get(s.parent) ?? 0) + 1);
    const byAge = [...snapshots].sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime());
    const removed: StoredSnapshot[] = [];
    let freedBytes = 0;
    const limit = options.all ? -1 : (options.limitBytes ?? Number.POSITIVE_INFINITY);
    for (let progress = true; total > limit && progress;) {
      progress = false;
      for (const snapshot of byAge) {
        if (total <= limit) break;
        if ((children.get(snapshot.id) ?? 0) > 0 || options.keep?.has(snapshot.id) || removed.includes(snapshot))
          continue;
        await rm(this.dirOf(snapshot.id), { recursive: true, force: true });
        removed.push(snapshot);
        const size = SnapshotStore.sizeOf(snapshot);
        total -= size;
        freedBytes += size;
        if (snapshot.parent) children.set(snapshot.parent, (children.get(snapshot.parent) ?? 1) - 1);
        progress = true;
      }
    }
    return { removed, freedBytes, busy };
  }

  /**
   * Removes what killed processes left: snapshots they were making and forms they were adding.
   * (Their mounts must be gone first: see recovery.ts.) Returns how many were removed.
   */
  async removeLeftovers(): Promise<number> {
    this.links.clear();
    const names = await readdir(this.root).catch(() => [] as string[]);
    let removed = 0;
    const ownerDead = (name: string) => {
      const pid = Number(/(?:^new-|\.new-)(\d+)-/.exec(name)?.[1]);
      return pid !== process.pid && !processAlive(pid);
    };
    for (const name of names) {
      if (name.startsWith(newPrefix)) {
        if (!ownerDead(name)) continue;
        await rm(join(this.root, name), { recursive: true, force: true });
        removed++;
        continue;
      }
      if (!idPattern.test(name)) continue;
      for (const inner of await readdir(join(this.root, name)).catch(() => [] as string[])) {
        if (!inner.includes('.new-') || !ownerDead(inner)) continue;
        await rm(join(this.root, name, inner), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }
}

/** rename, or a copy and removal across filesystems (a build's temp dir may be elsewhere). */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    await rm(from, { force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export function assertSnapshotId(id: string): void {
  if (!idPattern.test(id)) throw new OciError('OCI_SNAPSHOT', `invalid snapshot ID ${JSON.stringify(id)}`);
}
