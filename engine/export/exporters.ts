// Build outputs besides the daemon: the image filesystem as a directory or a tar, an OCI image-layout
// tarball, a `docker save` archive. Every output is first written to a temporary name beside its
// destination and renamed into place only when all of a build's outputs are written, so a failed
// build leaves no output, whole or partial.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat as hostLstat, mkdir, mkdtemp, readdir, readlink, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tarStream from 'tar-stream';
import { flattenLayers } from './flatten.js';
import { SavedImage } from './saved-image.js';
import { deviceNumbers } from '../copy/special-files.js';
import { normalizedTag, splitReference } from '../docker/images.js';

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

/** An output written to its temporary name: `commit` moves it into place, `discard` removes it. */
export interface PreparedOutput {
  commit(): Promise<void>;
  discard(): Promise<void>;
  /** The OCI manifest digest, when an OCI layout was written. */
  manifestDigest?: string;
}

const describe = (spec: OutputSpec) => (spec.type === 'docker' ? 'type=docker' : `type=${spec.type},dest=${spec.dest}`);

/** Writes to a temporary name beside `dest` (removed again when writing fails). */
async function prepareBeside(spec: OutputSpec & { dest: string }, write: (temporary: string) => Promise<void>): Promise<PreparedOutput> {
  const dest = resolve(spec.dest);
  let temporary = '';
  try {
    await mkdir(dirname(dest), { recursive: true });
    temporary = temporaryBeside(dest);
    await write(temporary);
  } catch (error) {
    if (temporary !== '') await rm(temporary, { recursive: true, force: true });
    throw new OutputError(`cannot write output ${describe(spec)}: ${(error as Error).message}`);
  }
  return {
    commit: async () => {
      try {
        await rm(dest, { recursive: true, force: true });
        await rename(temporary, dest);
      } catch (error) {
        await rm(temporary, { recursive: true, force: true });
        throw new OutputError(`cannot write output ${describe(spec)}: ${(error as Error).message}`);
      }
    },
    discard: () => rm(temporary, { recursive: true, force: true }),
  };
}

/**
 * `dir` as a tar, as `docker export` writes a container: names in order, parents first; owners, modes
 * and times (symlinks' too); a second name of a hard-linked file as a link to the first; devices and fifos.
 */
async function tarDirectory(dir: string, file: string): Promise<void> {
  const pack = tarStream.pack();
  const output = pipeline(pack as unknown as Readable, createWriteStream(file));
  const add = (header: Parameters<typeof pack.entry>[0], body?: Readable) =>
    new Promise<void>((resolvePromise, reject) => {
      if (!body) {
        pack.entry(header, (error) => (error ? reject(error) : resolvePromise()));
        return;
      }
      const sink = pack.entry(header, (error) => (error ? reject(error) : resolvePromise()));
      pipeline(body, sink as unknown as NodeJS.WritableStream).catch(reject);
    });
  /** dev:inode of each hard-linked file → the name it was first written under. */
  const firstNames = new Map<string, string>();
  const visit = async (relative: string): Promise<void> => {
    for (const name of (await readdir(join(dir, relative))).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const stats = await hostLstat(join(dir, path), { bigint: true });
      const header = { name: path, mode: Number(stats.mode) & 0o7777, uid: Number(stats.uid), gid: Number(stats.gid), mtime: new Date(Number(stats.mtimeMs)) };
      if (stats.isDirectory()) {
        await add({ ...header, name: `${path}/`, type: 'directory' });
        await visit(path);
      } else if (stats.isSymbolicLink()) {
        await add({ ...header, type: 'symlink', linkname: await readlink(join(dir, path)) });
      } else if (stats.isCharacterDevice() || stats.isBlockDevice()) {
        const { major, minor } = deviceNumbers(stats.rdev);
        await add({ ...header, type: stats.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor });
      } else if (stats.isFIFO()) {
        await add({ ...header, type: 'fifo' });
      } else if (stats.isFile()) {
        const inode = `${stats.dev}:${stats.ino}`;
        const first = stats.nlink > 1n ? firstNames.get(inode) : undefined;
        if (first !== undefined) {
          await add({ ...header, type: 'link', linkname: first });
          continue;
        }
        if (stats.nlink > 1n) firstNames.set(inode, path);
        await add({ ...header, type: 'file', size: Number(stats.size) }, createReadStream(join(dir, path)));
      }
      // Sockets cannot be in a layer, so a flattened image has none.
    }
  };
  await visit('');
  pack.finalize();
  await output;
}

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The image's OCI manifest (uncompressed layers, as `docker save` gives them) and its digest. */
function ociManifest(saved: SavedImage): { bytes: Buffer; digest: string; config: { digest: string } } {
  const layerMediaType = 'application/vnd.oci.image.layer.v1.tar';
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(saved.configBytes), size: saved.configBytes.length };
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config,
      layers: saved.layers.map((layer) => ({ mediaType: layerMediaType, digest: layer.diffId, size: layer.size })),
    }),
  );
  return { bytes, digest: sha256(bytes), config };
}

async function writeOciLayout(saved: SavedImage, file: string, tags: readonly string[]): Promise<{ manifestDigest: string }> {
  const { bytes: manifest, digest: manifestDigest, config } = ociManifest(saved);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: (tags.length > 0 ? tags : ['']).map((tag) => ({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifestDigest,
        size: manifest.length,
        ...(tag !== '' ? { annotations: { 'org.opencontainers.image.ref.name': splitReference(tag).tag, 'io.containerd.image.name': tag } } : {}),
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

/**
 * `docker save` of the image by ID with `tags` as its RepoTags, as `docker save TAG...` writes them:
 * the archive is made before the daemon has the tags (a failed build must not move them).
 */
async function writeDockerArchive(docker: Docker, imageId: string, tags: readonly string[], file: string): Promise<void> {
  const saved = (await docker.getImage(imageId).get()) as unknown as Readable;
  const extract = tarStream.extract();
  const pack = tarStream.pack();
  const written = pipeline(pack as unknown as Readable, createWriteStream(file));
  extract.on('entry', (header, entry, next) => {
    const body = entry as unknown as Readable;
    if (header.name !== 'manifest.json') {
      pipeline(body, pack.entry(header, next) as unknown as NodeJS.WritableStream).catch(next);
      return;
    }
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.on('error', next);
    body.on('end', () => {
      const manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<{ RepoTags: string[] | null }>;
      for (const image of manifest) image.RepoTags = tags.length > 0 ? tags.map(normalizedTag) : null;
      const data = Buffer.from(JSON.stringify(manifest));
      pack.entry({ ...header, size: data.length }, data, next);
    });
  });
  await Promise.all([pipeline(saved, extract).then(() => pack.finalize()), written]);
}


/** The OCI manifest digest of an image, as the `oci` output writes its manifest. */
export async function manifestDigestOf(docker: Docker, imageId: string): Promise<string> {
  const saved = await SavedImage.read(docker, imageId);
  try {
    return ociManifest(saved).digest;
  } finally {
    await saved.dispose();
  }
}

/**
 * Writes the image `imageId` as `spec` says, to a temporary name; nothing reaches the destination
 * until `commit`. `docker` needs nothing (the image is in the daemon).
 */
export async function prepareOutput(docker: Docker, imageId: string, spec: OutputSpec, tags: readonly string[]): Promise<PreparedOutput> {
  if (spec.type === 'docker') return { commit: async () => undefined, discard: async () => undefined };
  if (spec.type === 'docker-archive') return prepareBeside(spec, (temporary) => writeDockerArchive(docker, imageId, tags, temporary));
  let saved: SavedImage;
  try {
    saved = await SavedImage.read(docker, imageId);
  } catch (error) {
    throw new OutputError(`cannot write output ${describe(spec)}: ${(error as Error).message}`);
  }
  try {
    if (spec.type === 'oci') {
      let manifestDigest = '';
      const prepared = await prepareBeside(spec, async (temporary) => {
        manifestDigest = (await writeOciLayout(saved, temporary, tags)).manifestDigest;
      });
      return { ...prepared, manifestDigest };
    }
    const layers = saved.layers.map((l) => l.path);
    if (spec.type === 'local') return await prepareBeside(spec, (temporary) => flattenLayers(layers, temporary));
    const root = await mkdtemp(join(saved.dir, 'rootfs-'));
    return await prepareBeside(spec, async (temporary) => {
      await flattenLayers(layers, root);
      await tarDirectory(root, temporary);
    });
  } finally {
    await saved.dispose();
  }
}
