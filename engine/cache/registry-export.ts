// Writing the cache to a registry (`--cache-to type=registry,ref=REF[,mode=min|max]`) and into an
// image's config (`type=inline`). Entries are written with the image IDs they have once loaded from
// their config (the same on every daemon); layers go as gzip blobs, each once, and only those the
// registry lacks (remembered per registry, checked with HEAD, mounted from another repository where
// the registry has them); a base image's layers never go (a build has them by its FROM). The blobs
// are all in place before the manifest is put under the tag, so a reader sees the previous cache or
// this one, never half of one; an export cut short (the build's signal) stops before the manifest and
// leaves the previous one.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TransferEvent } from '../events.js';
import { imageIdOf } from '../image/config.js';
import { mediaTypes, sha256Digest, type Registries, type Repository } from '../registry/client.js';
import { parseReference } from '../registry/reference.js';
import { throwIfAborted, untilAborted } from '../util/abort.js';
import { readTar } from '../util/tar.js';
import type { ImageStore } from '../worker/image-store.js';
import { BlobMemo, gzipLayer, uploadFile } from './layer-blobs.js';
import {
  cacheArtifactType,
  cacheIndexMediaType,
  diffIdAnnotation,
  remoteIndexVersion,
  type LayerBlob,
  type RemoteIndex,
} from './remote-format.js';
import type { CacheEntry, CacheStore } from './store.js';

export interface ExportSelection {
  entries: CacheEntry[];
  mode: RemoteIndex['mode'];
  /** Layers of the target's image: with mode=min (and inline) only entries within them get layers. */
  targetLayers: readonly string[];
  /** Layers of the build's base images: never exported. */
  baseLayers: ReadonlySet<string>;
  /** The build's COPY --from content digests, with the image each was read from and its key inputs. */
  fromDigests: Array<{ image: string; rekey: (image: string) => string; digest: string }>;
}

/** The index entries: IDs as loaded from config, no recorded inputs, and whether each has layers. */
export function exportedEntries(selection: ExportSelection): RemoteIndex['entries'] {
  const target = new Set([...selection.targetLayers, ...selection.baseLayers]);
  return selection.entries.map((entry) => {
    const { inputs: _inputs, ...rest } = entry;
    const id = imageIdOf(entry.config);
    const layers = selection.mode === 'max' || entry.config.rootfs.diff_ids.every((d) => target.has(d));
    return { ...rest, imageId: id, configImageId: id, layers };
  });
}

/** COPY --from digests keyed for the importing side: by the source's image ID there. */
export function exportedFromDigests(selection: ExportSelection): Record<string, string> {
  const ids = new Map<string, string>();
  for (const entry of selection.entries) {
    const id = imageIdOf(entry.config);
    ids.set(entry.imageId, id);
    if (entry.configImageId) ids.set(entry.configImageId, id);
  }
  const out: Record<string, string> = {};
  for (const use of selection.fromDigests) {
    out[use.rekey(use.image)] = use.digest;
    const translated = ids.get(use.image);
    if (translated) out[use.rekey(translated)] = use.digest;
  }
  return out;
}

export interface RegistryExportOptions {
  images: ImageStore;
  store: CacheStore;
  registries: Registries;
  tempDir: string;
  emit: (event: TransferEvent) => void;
  /** Blobs known to be on registries (read from a registry cache): not sent again. */
  seed?: Array<{ domain: string; repository: string; diffId: string; blob: LayerBlob }>;
  /** The build's: once aborted, nothing more is sent, and never the manifest. */
  signal?: AbortSignal;
}

/** Streams `docker save IMAGE`, handing each layer tar to `take`, which reads it whole; stops on abort. */
async function readSavedLayers(
  images: ImageStore,
  image: string,
  take: (body: Readable) => Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  throwIfAborted(signal);
  const saved = await images.save([image]);
  const reading = readTar(saved, async (header, body) => {
    if (header.name.endsWith('/layer.tar')) await take(body);
  });
  await untilAborted(reading, signal, () => saved.destroy());
}

/** Writes a stream to `file`; resolves with its sha256 digest. */
async function writeHashed(body: Readable, file: string): Promise<string> {
  const hash = createHash('sha256');
  body.on('data', (chunk: Buffer) => hash.update(chunk));
  await pipeline(body, createWriteStream(file));
  return `sha256:${hash.digest('hex')}`;
}

/** Makes sure the registry repository has a blob for each layer; returns diff ID → blob. */
export async function ensureLayerBlobs(
  repository: Repository,
  diffIds: readonly string[],
  /** Images of this daemon and their layers: where the missing layers are read from. */
  chains: ReadonlyArray<{ image: string; diffIds: readonly string[] }>,
  options: RegistryExportOptions & { ref: string },
): Promise<Record<string, LayerBlob>> {
  const memo = await BlobMemo.read(options.store);
  const host = repository.ref.domain;
  for (const known of options.seed ?? [])
    if (known.domain === host && !memo.get(host, known.diffId))
      memo.set(host, known.diffId, known.blob, known.repository);
  const blobs: Record<string, LayerBlob> = {};
  const missing = new Set<string>();
  let counter = 0;
  for (const diffId of diffIds) {
    throwIfAborted(options.signal);
    const known = memo.get(host, diffId);
    if (known) {
      const blob = { digest: known.digest, size: known.size, mediaType: known.mediaType };
      if (
        (await repository.hasBlob(known.digest)) ||
        (known.repository !== repository.ref.path && (await repository.mountBlob(known.digest, known.repository)))
      ) {
        blobs[diffId] = blob;
        memo.set(host, diffId, blob, repository.ref.path);
        continue;
      }
      memo.forget(host, diffId);
    }
    missing.add(diffId);
  }
  // The longest chains first: one `docker save` each, until every missing layer is had. The save's
  // layers come in no useful order: each is kept raw (and hashed) until its diff ID says if it is wanted.
  for (const chain of [...chains].sort((a, b) => b.diffIds.length - a.diffIds.length)) {
    if (!chain.diffIds.some((diffId) => missing.has(diffId))) continue;
    await readSavedLayers(
      options.images,
      chain.image,
      async (body) => {
        const raw = join(options.tempDir, `export-${counter}.tar`);
        const packed = join(options.tempDir, `export-${counter++}.tar.gz`);
        try {
          const diffId = await writeHashed(body, raw);
          if (!missing.has(diffId)) return;
          const { blob } = await gzipLayer(createReadStream(raw), packed);
          throwIfAborted(options.signal);
          await uploadFile(repository, blob, packed);
          missing.delete(diffId);
          blobs[diffId] = blob;
          memo.set(host, diffId, blob, repository.ref.path);
          options.emit({
            type: 'transfer',
            time: Date.now(),
            action: 'cache-export',
            ref: options.ref,
            layer: blob.digest.slice(7, 19),
            status: `uploaded (${blob.size} bytes)`,
          });
        } finally {
          await rm(raw, { force: true });
          await rm(packed, { force: true });
        }
      },
      options.signal,
    );
  }
  if (missing.size > 0) throw new Error(`the daemon has no image with the layers ${[...missing].join(', ')}`);
  await memo.save();
  return blobs;
}

/** Writes the cache to `ref`: blobs first, then the index, then the manifest under the tag. */
export async function exportToRegistry(
  ref: string,
  selection: ExportSelection,
  options: RegistryExportOptions,
): Promise<{ digest: string; entries: number; layers: number }> {
  const parsed = parseReference(ref);
  const repository = options.registries.repository(parsed);
  const entries = exportedEntries(selection);
  // The entries' own images exist on this daemon: the layers are read from them.
  const chains = entries.flatMap((entry, i) =>
    entry.layers ? [{ image: selection.entries[i].imageId, diffIds: entry.config.rootfs.diff_ids }] : [],
  );
  const wanted = [...new Set(chains.flatMap((chain) => chain.diffIds))].filter((d) => !selection.baseLayers.has(d));
  const blobs = await ensureLayerBlobs(repository, wanted, chains, { ...options, ref });
  const index: RemoteIndex = {
    version: remoteIndexVersion,
    exported: new Date().toISOString(),
    mode: selection.mode,
    entries,
    fromDigests: exportedFromDigests(selection),
    blobs,
  };
  const indexBytes = Buffer.from(JSON.stringify(index));
  const indexDigest = sha256Digest(indexBytes);
  throwIfAborted(options.signal);
  if (!(await repository.hasBlob(indexDigest)))
    await repository.uploadBlob(indexDigest, indexBytes.length, () => indexBytes);
  const layers = [...new Map(Object.entries(blobs).map(([diffId, blob]) => [blob.digest, { diffId, blob }])).values()];
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      artifactType: cacheArtifactType,
      config: { mediaType: cacheIndexMediaType, digest: indexDigest, size: indexBytes.length },
      layers: layers.map(({ diffId, blob }) => ({ ...blob, annotations: { [diffIdAnnotation]: diffId } })),
    }),
  );
  // The one write readers see: only once every blob is in place, and never for a build cut short.
  throwIfAborted(options.signal);
  const digest = await repository.putManifest(parsed.tag ?? 'latest', mediaTypes.ociManifest, manifest);
  options.emit({
    type: 'transfer',
    time: Date.now(),
    action: 'cache-export',
    ref,
    status: `${entries.length} entries, ${layers.length} layers (mode=${selection.mode})`,
    done: true,
    digest,
  });
  return { digest, entries: entries.length, layers: layers.length };
}
