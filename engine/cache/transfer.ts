// Sharing the cache between machines (`--cache-to type=local,dest=DIR`, `--cache-from type=local,src=DIR`):
// DIR holds the index and each layer once (by diff ID); an export keeps only the layers its entries use,
// so the directory does not grow across exports; an import loads only the layers the daemon lacks, and
// points each entry at the image it loaded (another daemon's image IDs mean nothing here).
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MsbuildError } from '../errors.js';
import { imageIdOf } from '../image/config.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { hex } from '../util/digest.js';
import { makeDirectories } from '../util/make-directories.js';
import { readTar } from '../util/tar.js';
import type { ImageStore } from '../worker/image-store.js';
import type { CacheEntry, CacheStore } from './store.js';

const indexVersion = 1;

interface ExportIndex {
  version: number;
  exported: string;
  entries: CacheEntry[];
}

export interface ExportResult {
  entries: number;
  layersWritten: number;
  layersKept: number;
  layersRemoved: number;
}

function blobPath(dir: string, diffId: string): string {
  return join(dir, 'blobs', 'sha256', `${hex(diffId)}.tar`);
}

/** Writes the entries (default: all) and the layers they need to `dir`, replacing what was there. */
export async function exportCache(
  images: ImageStore,
  store: CacheStore,
  dir: string,
  keys?: ReadonlySet<string>,
): Promise<ExportResult> {
  const all = await store.list();
  const candidates = keys ? all.filter((e) => keys.has(e.key)) : all;
  const entries: CacheEntry[] = [];
  for (const entry of candidates) if (await images.has(entry.imageId)) entries.push(entry);
  const needed = new Set(entries.flatMap((e) => e.config.rootfs.diff_ids));
  await makeDirectories(join(dir, 'blobs', 'sha256'));
  const missing = [...needed].filter((diffId) => !existsSync(blobPath(dir, diffId)));
  let layersWritten = 0;
  if (missing.length > 0) {
    // One `docker save` of every image: the daemon writes each layer once however many images share it.
    const saved = await images.save([...new Set(entries.map((e) => e.imageId))]);
    layersWritten = await storeLayers(saved, dir, new Set(missing));
  }
  const index: ExportIndex = { version: indexVersion, exported: new Date().toISOString(), entries };
  await writeFileAtomic(join(dir, 'index.json'), JSON.stringify(index));
  let layersRemoved = 0;
  for (const name of await readdir(join(dir, 'blobs', 'sha256'))) {
    const diffId = `sha256:${name.replace(/\.tar$/, '')}`;
    if (!needed.has(diffId) || name.endsWith('.tmp')) {
      await rm(join(dir, 'blobs', 'sha256', name), { force: true });
      layersRemoved++;
    }
  }
  return { entries: entries.length, layersWritten, layersKept: needed.size - layersWritten, layersRemoved };
}

/** Streams `docker save` output, keeping the layer tars whose digest is wanted. */
async function storeLayers(saved: Readable, dir: string, wanted: Set<string>): Promise<number> {
  let written = 0;
  let counter = 0;
  await readTar(saved, async (header, body) => {
    if (!header.name.endsWith('/layer.tar') || wanted.size === 0) return;
    const temporary = join(dir, 'blobs', 'sha256', `incoming-${process.pid}-${counter++}.tmp`);
    const hash = createHash('sha256');
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    await pipeline(body, createWriteStream(temporary));
    const diffId = `sha256:${hash.digest('hex')}`;
    if (wanted.has(diffId)) {
      await rename(temporary, blobPath(dir, diffId));
      wanted.delete(diffId);
      written++;
    } else {
      await rm(temporary, { force: true });
    }
  });
  return written;
}

export interface ImportResult {
  imported: number;
  alreadyPresent: number;
  unusable: number;
}

/** A directory that holds no cache export msbuild can read (missing, empty, another version). */
export class CacheImportError extends MsbuildError {
  override readonly name = 'CacheImportError';
  override readonly code = 'MSBUILD_CACHE_IMPORT';
}

/**
 * Adds the entries in `dir` to the local cache, loading images the daemon lacks. An entry's image on
 * the exporting daemon may be one no other daemon can have (a committed container's: its ID is not
 * the entry's config's): the image loaded here has exactly the entry's config and layers, so the entry
 * imported points at that one, and hits here as it did there.
 */
export async function importCache(images: ImageStore, store: CacheStore, dir: string): Promise<ImportResult> {
  let index: ExportIndex;
  try {
    index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ExportIndex;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? existsSync(dir)
          ? 'it holds no index.json'
          : 'no such directory'
        : code === 'ENOTDIR'
          ? 'it is not a directory'
          : `index.json is not readable: ${(error as Error).message}`;
    throw new CacheImportError(`no cache export in ${dir}: ${why}`);
  }
  if (index.version !== indexVersion)
    throw new CacheImportError(
      `cache export in ${dir} has version ${index.version}; this msbuild reads ${indexVersion}`,
    );
  const result: ImportResult = { imported: 0, alreadyPresent: 0, unusable: 0 };
  // Shorter histories first: parents are loaded before the images built on them.
  for (const entry of [...index.entries].sort((a, b) => a.config.history.length - b.config.history.length)) {
    const own = imageIdOf(entry.config);
    const present = (await images.has(entry.imageId))
      ? entry
      : (await images.has(own))
        ? { ...entry, imageId: own, configImageId: own }
        : undefined;
    if (present) {
      result.alreadyPresent++;
      if (!(await store.get(entry.key))) await store.put(present);
      continue;
    }
    const loaded = await loadEntry(images, entry, dir);
    if (loaded !== undefined) {
      await store.put({ ...entry, imageId: loaded, configImageId: loaded });
      result.imported++;
    } else {
      result.unusable++;
    }
  }
  return result;
}

/**
 * Loads an entry's image sending as few layers as possible: first none (the daemon may have them all),
 * then from the first layer it reports missing onwards.
 */
async function loadEntry(images: ImageStore, entry: CacheEntry, dir: string): Promise<string | undefined> {
  const diffIds = entry.config.rootfs.diff_ids;
  let from = diffIds.length;
  for (let attempt = 0; attempt < 3; attempt++) {
    const newLayers = diffIds.slice(from).map((diffId) => ({ diffId, path: blobPath(dir, diffId) }));
    if (newLayers.some((layer) => !existsSync(layer.path))) return undefined;
    try {
      return await images.load({ config: entry.config, newLayers });
    } catch (error) {
      const message = (error as Error).message;
      const missing = /([0-9a-f]{64})\/layer\.tar/.exec(message);
      const index = missing ? diffIds.findIndex((d) => hex(d) === missing[1]) : -1;
      if (index < 0 || index >= from) {
        if (from === 0) return undefined;
        from = 0;
      } else {
        from = index;
      }
    }
  }
  return undefined;
}
