// Build outputs besides the daemon: the image filesystem as a directory or a tar, an OCI image-layout
// tarball, a `docker save` archive. Every output is written to a temporary name and renamed into
// place, so a failed export leaves nothing half-written at the destination.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat as hostLstat, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tarStream from 'tar-stream';
import { flattenLayers } from './flatten.js';
import { SavedImage } from './saved-image.js';
import { ContextFs } from '../copy/source-fs.js';
import { ignoreRules } from '../context/ignore.js';

export type OutputSpec =
  | { type: 'docker' }
  | { type: 'local'; dest: string }
  | { type: 'tar'; dest: string }
  | { type: 'oci'; dest: string }
  | { type: 'docker-archive'; dest: string };

export class OutputError extends Error {
  override readonly name = 'OutputError';
}

/** `type=local,dest=out` → OutputSpec (BuildKit's `--output` syntax; `-` is not supported). */
export function parseOutputSpec(text: string): OutputSpec {
  const fields = new Map(
    text.split(',').map((field) => {
      const equals = field.indexOf('=');
      return (equals < 0 ? [field, ''] : [field.slice(0, equals), field.slice(equals + 1)]) as [string, string];
    }),
  );
  // A bare path means a local directory, as in `docker build -o out`.
  if (!text.includes('=')) return { type: 'local', dest: text };
  const type = fields.get('type') ?? 'local';
  if (type === 'docker' || type === 'image') return { type: 'docker' };
  const dest = fields.get('dest');
  if (type !== 'local' && type !== 'tar' && type !== 'oci' && type !== 'docker-archive') {
    throw new OutputError(`unknown output type ${JSON.stringify(type)}: use docker, local, tar, oci or docker-archive`);
  }
  if (!dest) throw new OutputError(`output type=${type} needs dest=PATH`);
  return { type, dest };
}

function temporaryBeside(dest: string): string {
  return join(dirname(resolve(dest)), `.${randomBytes(6).toString('hex')}.msbuild-partial`);
}

/** Writes to a temporary file beside `dest`, then renames it; removes the temporary file on failure. */
async function atomically(dest: string, write: (temporary: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(resolve(dest)), { recursive: true });
  const temporary = temporaryBeside(dest);
  try {
    await write(temporary);
    await rm(dest, { recursive: true, force: true });
    await rename(temporary, dest);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

async function tarDirectory(dir: string, file: string): Promise<void> {
  const pack = tarStream.pack();
  const output = pipeline(pack as unknown as Readable, createWriteStream(file));
  const fs = new ContextFs(dir, ignoreRules([]));
  const add = (header: Parameters<typeof pack.entry>[0], body?: Readable) =>
    new Promise<void>((resolvePromise, reject) => {
      if (!body) {
        pack.entry(header, (error) => (error ? reject(error) : resolvePromise()));
        return;
      }
      const sink = pack.entry(header, (error) => (error ? reject(error) : resolvePromise()));
      pipeline(body, sink as unknown as NodeJS.WritableStream).catch(reject);
    });
  const visit = async (relative: string): Promise<void> => {
    for (const name of await fs.readdir(relative)) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const node = await fs.lstat(path);
      if (!node) continue;
      const owner = await hostLstat(join(dir, path));
      const header = { name: node.type === 'directory' ? `${path}/` : path, mode: node.mode, uid: owner.uid, gid: owner.gid, mtime: node.mtime };
      if (node.type === 'directory') {
        await add({ ...header, type: 'directory' });
        await visit(path);
      } else if (node.type === 'symlink') {
        await add({ ...header, type: 'symlink', linkname: node.linkname ?? '' });
      } else {
        await add({ ...header, type: 'file', size: node.size }, fs.open(path));
      }
    }
  };
  await visit('');
  pack.finalize();
  await output;
}

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function writeOciLayout(saved: SavedImage, file: string, tags: readonly string[]): Promise<{ manifestDigest: string }> {
  const layerMediaType = 'application/vnd.oci.image.layer.v1.tar';
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(saved.configBytes), size: saved.configBytes.length };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config,
      layers: saved.layers.map((layer) => ({ mediaType: layerMediaType, digest: layer.diffId, size: layer.size })),
    }),
  );
  const manifestDigest = sha256(manifest);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: (tags.length > 0 ? tags : ['']).map((tag) => ({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifestDigest,
        size: manifest.length,
        ...(tag !== '' ? { annotations: { 'org.opencontainers.image.ref.name': tag.includes(':') ? tag.slice(tag.lastIndexOf(':') + 1) : 'latest', 'io.containerd.image.name': tag } } : {}),
      })),
    }),
  );
  const pack = tarStream.pack();
  const output = pipeline(pack as unknown as Readable, createWriteStream(file));
  const add = (name: string, data: Buffer) =>
    new Promise<void>((resolvePromise, reject) => pack.entry({ name, mtime: new Date(0) }, data, (error) => (error ? reject(error) : resolvePromise())));
  const blob = (digest: string) => `blobs/sha256/${digest.replace(/^sha256:/, '')}`;
  await add('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  await add('index.json', index);
  await add(blob(manifestDigest), manifest);
  await add(blob(config.digest), saved.configBytes);
  const written = new Set<string>();
  for (const layer of saved.layers) {
    if (written.has(layer.diffId)) continue;
    written.add(layer.diffId);
    const size = (await stat(layer.path)).size;
    await new Promise<void>((resolvePromise, reject) => {
      const sink = pack.entry({ name: blob(layer.diffId), size, mtime: new Date(0) }, (error) => (error ? reject(error) : resolvePromise()));
      pipeline(createReadStream(layer.path), sink as unknown as NodeJS.WritableStream).catch(reject);
    });
  }
  pack.finalize();
  await output;
  return { manifestDigest };
}

export interface ExportResult {
  /** The OCI manifest digest, when an OCI layout was written. */
  manifestDigest?: string;
}

/** Writes the image `imageId` as `spec` says. `docker` needs nothing (the image is in the daemon). */
export async function exportImage(docker: Docker, imageId: string, spec: OutputSpec, tags: readonly string[]): Promise<ExportResult> {
  if (spec.type === 'docker') return {};
  if (spec.type === 'docker-archive') {
    await atomically(spec.dest, async (temporary) => {
      const stream = (await docker.getImage(imageId).get()) as unknown as Readable;
      await pipeline(stream, createWriteStream(temporary));
    });
    return {};
  }
  const saved = await SavedImage.read(docker, imageId);
  try {
    if (spec.type === 'oci') {
      let manifestDigest = '';
      await atomically(spec.dest, async (temporary) => {
        manifestDigest = (await writeOciLayout(saved, temporary, tags)).manifestDigest;
      });
      return { manifestDigest };
    }
    const layers = saved.layers.map((l) => l.path);
    if (spec.type === 'local') {
      await atomically(spec.dest, (temporary) => flattenLayers(layers, temporary));
      return {};
    }
    const root = await mkdtemp(join(saved.dir, 'rootfs-'));
    await flattenLayers(layers, root);
    await atomically(spec.dest, (temporary) => tarDirectory(root, temporary));
    return {};
  } finally {
    await saved.dispose();
  }
}
