// Build outputs besides the daemon: the image filesystem as a directory or a tar, an OCI image-layout
// tarball, a `docker save` archive. Every output is first written to a temporary name beside its
// destination and put in place only when all of a build's outputs are written, so a failed build
// leaves no output, whole or partial. Nothing the user had is deleted: a file output never replaces a
// directory, and a directory output is merged into an existing directory (see merge-tree.ts).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat as hostLstat, mkdtemp, readdir, readlink, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';
import { deviceNumbers } from '../copy/special-files.js';
import { normalizedTag, splitReference } from '../image/reference.js';
import { makeDirectories } from '../util/make-directories.js';
import { readEntry, readTar } from '../util/tar.js';
import type { ImageStore } from '../worker/image-store.js';
import { flattenLayers } from './flatten.js';
import { mergeTree } from './merge-tree.js';
import { OutputError, writesToStream, type FileOutputSpec, type OutputSpec } from './output-spec.js';
import { SavedImage } from './saved-image.js';

export { OutputError, parseOutputSpec, writesToStream, type FileOutputSpec, type OutputSpec } from './output-spec.js';

/**
 * The names the image gets: the build's tags, or else the `name=` of its docker/image outputs (buildx
 * fills those outputs' names from -t, so tags win when both are given), each once.
 */
export function imageNames(tags: readonly string[], outputs: readonly OutputSpec[]): string[] {
  if (tags.length > 0) return [...tags];
  return [...new Set(outputs.flatMap((output) => (output.type === 'docker' ? (output.names ?? []) : [])))];
}

function temporaryIn(dir: string): string {
  return join(dir, `.${randomBytes(6).toString('hex')}.msbuild-partial`);
}

/** An output written to its temporary name: `commit` moves it into place, `discard` removes it. */
export interface PreparedOutput {
  commit(): Promise<void>;
  discard(): Promise<void>;
  /** The OCI manifest digest, when an OCI layout was written. */
  manifestDigest?: string;
}

const describe = (spec: OutputSpec) => (spec.type === 'docker' ? 'type=docker' : `type=${spec.type},dest=${spec.dest}`);

/** What `path` is now (following a symlink the user named as the destination itself), or undefined. */
async function existing(path: string): Promise<'directory' | 'other' | undefined> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Writes the output to a temporary name, then puts it at `dest`. A file output replaces a file by one
 * rename and refuses a directory. A directory output is staged inside an existing destination (the
 * same file system, and the one place the user let it write) and merged in; a missing one is renamed
 * into place whole. A failed write removes the temporary name.
 */
async function prepareBeside(
  spec: OutputSpec & { dest: string },
  write: (temporary: string) => Promise<void>,
): Promise<PreparedOutput> {
  if (writesToStream(spec)) return prepareForStream(spec, write);
  const dest = resolve(spec.dest);
  const failed = (error: unknown) =>
    new OutputError(`cannot write output ${describe(spec)}: ${(error as Error).message}`);
  const directory = spec.type === 'local';
  let temporary = '';
  try {
    const found = await existing(dest);
    if (found === 'directory' && !directory) throw new Error(`${dest} is a directory`);
    if (found === 'other' && directory) throw new Error(`${dest} exists and is not a directory`);
    await makeDirectories(dirname(dest));
    temporary = temporaryIn(found === 'directory' ? dest : dirname(dest));
    await write(temporary);
  } catch (error) {
    if (temporary !== '') await rm(temporary, { recursive: true, force: true });
    throw failed(error);
  }
  return {
    commit: async () => {
      try {
        // Asked again: the destination may have been made since the output was written.
        if (directory && (await existing(dest)) === 'directory') await mergeTree(temporary, dest);
        else if (!directory && (await existing(dest)) === 'directory') throw new Error(`${dest} is a directory`);
        else await rename(temporary, dest);
      } catch (error) {
        throw failed(error);
      } finally {
        await rm(temporary, { recursive: true, force: true });
      }
    },
    discard: () => rm(temporary, { recursive: true, force: true }),
  };
}

/**
 * `dest=-`: the file is written to a temporary directory and streamed out at commit, so a failed
 * build sends nothing (and a reader never gets half an archive).
 */
async function prepareForStream(
  spec: FileOutputSpec,
  write: (temporary: string) => Promise<void>,
): Promise<PreparedOutput> {
  const stream = spec.stream;
  if (!stream) throw new OutputError(`output ${describe(spec)} needs a stream to write to`);
  const dir = await mkdtemp(join(tmpdir(), 'msbuild-output-'));
  const temporary = join(dir, 'output');
  try {
    await write(temporary);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new OutputError(`cannot write output ${describe(spec)}: ${(error as Error).message}`);
  }
  return {
    commit: async () => {
      try {
        await pipeline(createReadStream(temporary), stream, { end: false });
      } catch (error) {
        throw new OutputError(`cannot write output ${describe(spec)}: ${(error as Error).message}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    discard: () => rm(dir, { recursive: true, force: true }),
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
      const header = {
        name: path,
        mode: Number(stats.mode) & 0o7777,
        uid: Number(stats.uid),
        gid: Number(stats.gid),
        mtime: new Date(Number(stats.mtimeMs)),
      };
      if (stats.isDirectory()) {
        await add({ ...header, name: `${path}/`, type: 'directory' });
        await visit(path);
      } else if (stats.isSymbolicLink()) {
        await add({ ...header, type: 'symlink', linkname: await readlink(join(dir, path)) });
      } else if (stats.isCharacterDevice() || stats.isBlockDevice()) {
        const { major, minor } = deviceNumbers(stats.rdev);
        await add({
          ...header,
          type: stats.isCharacterDevice() ? 'character-device' : 'block-device',
          devmajor: major,
          devminor: minor,
        });
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
  const config = {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: sha256(saved.configBytes),
    size: saved.configBytes.length,
  };
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

async function writeOciLayout(
  saved: SavedImage,
  file: string,
  tags: readonly string[],
): Promise<{ manifestDigest: string }> {
  const { bytes: manifest, digest: manifestDigest, config } = ociManifest(saved);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: (tags.length > 0 ? tags : ['']).map((tag) => ({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: manifestDigest,
        size: manifest.length,
        ...(tag !== ''
          ? {
              annotations: {
                'org.opencontainers.image.ref.name': splitReference(tag).tag,
                'io.containerd.image.name': tag,
              },
            }
          : {}),
      })),
    }),
  );
  const pack = tarStream.pack();
  const output = pipeline(pack as unknown as Readable, createWriteStream(file));
  const add = (name: string, data: Buffer) =>
    new Promise<void>((resolvePromise, reject) =>
      pack.entry({ name, mtime: new Date(0) }, data, (error) => (error ? reject(error) : resolvePromise())),
    );
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
      const sink = pack.entry({ name: blob(layer.diffId), size, mtime: new Date(0) }, (error) =>
        error ? reject(error) : resolvePromise(),
      );
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
async function writeDockerArchive(
  images: ImageStore,
  image: { id: string; tags: readonly string[] },
  file: string,
): Promise<void> {
  const { tags } = image;
  const saved = await images.save([image.id]);
  const pack = tarStream.pack();
  const written = pipeline(pack as unknown as Readable, createWriteStream(file));
  const copied = readTar(saved, async (header, body) => {
    if (header.name !== 'manifest.json') {
      await new Promise<void>((resolvePromise, reject) => {
        const sink = pack.entry(header, (error) => (error ? reject(error) : resolvePromise()));
        pipeline(body, sink as unknown as NodeJS.WritableStream).catch(reject);
      });
      return;
    }
    const manifest = JSON.parse((await readEntry(body)).toString('utf8')) as Array<{ RepoTags: string[] | null }>;
    for (const image of manifest) image.RepoTags = tags.length > 0 ? tags.map(normalizedTag) : null;
    const data = Buffer.from(JSON.stringify(manifest));
    await new Promise<void>((resolvePromise, reject) =>
      pack.entry({ ...header, size: data.length }, data, (error) => (error ? reject(error) : resolvePromise())),
    );
  });
  await Promise.all([copied.then(() => pack.finalize()), written]);
}

/** The OCI manifest digest of an image, as the `oci` output writes its manifest. */
export async function manifestDigestOf(images: ImageStore, imageId: string): Promise<string> {
  const saved = await SavedImage.read(images, imageId);
  try {
    return ociManifest(saved).digest;
  } finally {
    await saved.dispose();
  }
}

/**
 * Writes the image `image.id` as `spec` says, to a temporary name; nothing reaches the destination
 * until `commit`. `docker` needs nothing (the image is in the daemon).
 */
export async function prepareOutput(
  images: ImageStore,
  image: { id: string; tags: readonly string[] },
  spec: OutputSpec,
): Promise<PreparedOutput> {
  const { id: imageId, tags } = image;
  // Named and pushed images are the build's to tag and push (engine/export/push.ts).
  if (spec.type === 'docker') return { commit: async () => undefined, discard: async () => undefined };
  if (spec.type === 'docker-archive')
    return prepareBeside(spec, (temporary) =>
      writeDockerArchive(images, { id: imageId, tags: spec.names ?? tags }, temporary),
    );
  let saved: SavedImage;
  try {
    saved = await SavedImage.read(images, imageId);
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
