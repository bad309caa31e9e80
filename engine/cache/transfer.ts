// Sharing the cache between machines (`--cache-to type=local,dest=DIR`, `--cache-from type=local,src=DIR`):
// DIR holds the index and each layer once (by diff ID); an export keeps only the layers its entries use,
// so the directory does not grow across exports; an import loads only the layers the daemon lacks.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tarStream from 'tar-stream';
import { inspectImage } from '../docker/images.js';
import { loadImage } from '../docker/load.js';
import { writeFileAtomic, type CacheEntry, type CacheStore } from './store.js';

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

const hex = (digest: string) => digest.replace(/^sha256:/, '');

function blobPath(dir: string, diffId: string): string {
  return join(dir, 'blobs', 'sha256', `${hex(diffId)}.tar`);
}

/** Writes the entries (default: all) and the layers they need to `dir`, replacing what was there. */
export async function exportCache(docker: Docker, store: CacheStore, dir: string, keys?: ReadonlySet<string>): Promise<ExportResult> {
  const all = await store.list();
  const candidates = keys ? all.filter((e) => keys.has(e.key)) : all;
  const entries: CacheEntry[] = [];
  for (const entry of candidates) if (await inspectImage(docker, entry.imageId)) entries.push(entry);
  const needed = new Set(entries.flatMap((e) => e.config.rootfs.diff_ids));
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const missing = [...needed].filter((diffId) => !existsSync(blobPath(dir, diffId)));
  let layersWritten = 0;
  if (missing.length > 0) {
    // One `docker save` of every image: the daemon writes each layer once however many images share it.
    const images = [...new Set(entries.map((e) => e.imageId))];
    // dockerode has `getImages` (GET /images/get?names=...) but its type definitions lack it.
    const save = (docker as unknown as { getImages(options: { names: string[] }): Promise<Readable> }).getImages.bind(docker);
    const saved = await save({ names: images });
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
  const extract = tarStream.extract();
  let written = 0;
  let counter = 0;
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, entry, next) => {
      if (!header.name.endsWith('/layer.tar') || wanted.size === 0) {
        entry.on('end', next);
        entry.resume();
        return;
      }
      const temporary = join(dir, 'blobs', 'sha256', `incoming-${process.pid}-${counter++}.tmp`);
      const hash = createHash('sha256');
      entry.on('data', (chunk: unknown) => hash.update(chunk as Buffer));
      pipeline(entry as unknown as Readable, createWriteStream(temporary))
        .then(async () => {
          const diffId = `sha256:${hash.digest('hex')}`;
          if (wanted.has(diffId)) {
            await rename(temporary, blobPath(dir, diffId));
            wanted.delete(diffId);
            written++;
          } else {
            await rm(temporary, { force: true });
          }
          next();
        })
        .catch(reject);
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  saved.on('error', (error) => extract.destroy(error));
  saved.pipe(extract as unknown as NodeJS.WritableStream);
  await done;
  return written;
}

export interface ImportResult {
  imported: number;
  alreadyPresent: number;
  unusable: number;
}

/** Adds the entries in `dir` to the local cache, loading images the daemon lacks. */
export async function importCache(docker: Docker, store: CacheStore, dir: string): Promise<ImportResult> {
  let index: ExportIndex;
  try {
    index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ExportIndex;
  } catch (error) {
    throw new Error(`no usable cache export in ${dir}: ${(error as Error).message}`);
  }
  if (index.version !== indexVersion) throw new Error(`cache export in ${dir} has version ${index.version}; this msbuild reads ${indexVersion}`);
  const result: ImportResult = { imported: 0, alreadyPresent: 0, unusable: 0 };
  // Shorter histories first: parents are loaded before the images built on them.
  for (const entry of [...index.entries].sort((a, b) => a.config.history.length - b.config.history.length)) {
    if (await inspectImage(docker, entry.imageId)) {
      result.alreadyPresent++;
      if (!(await store.get(entry.key))) await store.put(entry);
      continue;
    }
    if (await loadEntry(docker, entry, dir)) {
      await store.put(entry);
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
async function loadEntry(docker: Docker, entry: CacheEntry, dir: string): Promise<boolean> {
  const diffIds = entry.config.rootfs.diff_ids;
  let from = diffIds.length;
  for (let attempt = 0; attempt < 3; attempt++) {
    const newLayers = diffIds.slice(from).map((diffId) => ({ diffId, path: blobPath(dir, diffId) }));
    if (newLayers.some((layer) => !existsSync(layer.path))) return false;
    try {
      await loadImage(docker, { config: entry.config, newLayers });
      return true;
    } catch (error) {
      const message = (error as Error).message;
      const missing = /([0-9a-f]{64})\/layer\.tar/.exec(message);
      const index = missing ? diffIds.findIndex((d) => hex(d) === missing[1]) : -1;
      if (index < 0 || index >= from) {
        if (from === 0) return false;
        from = 0;
      } else {
        from = index;
      }
    }
  }
  return false;
}
