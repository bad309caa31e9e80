// Integration: every exporter's output — a directory and a tar equal to the image's files, an OCI
// layout with the spec's files and correct digests, a docker archive — and none left half-written.
// Devices, fifos, hard links and symlink times reach the local and tar outputs as `docker export` shows them.
import test from 'ava';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, lstat, mkdtemp, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tarStream from 'tar-stream';
import { BuildError } from '../../engine/build-error.js';
import { build } from '../../engine/build.js';
import { deviceNumbers } from '../../engine/copy/special-files.js';
import { OutputError } from '../../engine/export/exporters.js';
import {
  docker,
  dockerCli,
  imageFiles,
  makeContext,
  removeDir,
  removeImages,
  requireDaemon,
  runCommand,
  uniqueName,
} from '../support/docker.js';

const cleanup: string[] = [];
const tags: string[] = [];
let out = '';
let cacheDir = '';
let context = '';
test.before(async () => {
  await requireDaemon();
  out = await mkdtemp(join(tmpdir(), 'msbuild-export-'));
  cacheDir = await mkdtemp(join(tmpdir(), 'msbuild-export-cache-'));
  context = await makeContext({
    Dockerfile:
      'FROM busybox AS build\nRUN mkdir -p /out/sub && echo hello > /out/hello && ln -s hello /out/link && chmod 700 /out/sub\nFROM scratch\nCOPY --from=build /out /app/\nCOPY notes.txt /app/\n',
    'notes.txt': 'notes\n',
  });
  cleanup.push(out, cacheDir, context);
});
test.after.always(async () => {
  await removeImages(...tags);
  for (const dir of cleanup) await removeDir(dir);
});

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

test('local, tar, OCI and docker-archive outputs of one build', async (t) => {
  const tag = `${uniqueName('msbuild-export')}:latest`;
  tags.push(tag);
  const result = await build({
    context,
    tags: [tag],
    network: 'none',
    pull: 'never',
    cacheDir,
    outputs: [
      { type: 'local', dest: join(out, 'local') },
      { type: 'tar', dest: join(out, 'fs.tar') },
      { type: 'oci', dest: join(out, 'image.oci.tar') },
      { type: 'docker-archive', dest: join(out, 'image.docker.tar') },
    ],
    metadataFile: join(out, 'metadata.json'),
  });

  // local: the image's files, owners and modes.
  const files = await imageFiles(tag);
  t.deepEqual([...files.keys()].sort(), ['/app', '/app/hello', '/app/link', '/app/notes.txt', '/app/sub']);
  t.is(await readFile(join(out, 'local/app/hello'), 'utf8'), 'hello\n');
  t.is(await readlink(join(out, 'local/app/link')), 'hello');
  t.is((await lstat(join(out, 'local/app/sub'))).mode & 0o777, 0o700);

  // tar: the same paths.
  const listing = await runCommand('tar', ['-tf', join(out, 'fs.tar')]);
  t.deepEqual(
    listing.stdout
      .trim()
      .split('\n')
      .map((p) => p.replace(/\/$/, ''))
      .sort(),
    ['app', 'app/hello', 'app/link', 'app/notes.txt', 'app/sub'],
  );

  // OCI: oci-layout, index.json → manifest → config (= image ID) and layers, every blob named by its digest.
  const layout = join(out, 'oci');
  await runCommand('mkdir', ['-p', layout]);
  await runCommand('tar', ['-xf', join(out, 'image.oci.tar'), '-C', layout]);
  t.deepEqual(JSON.parse(await readFile(join(layout, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
  t.is(index.schemaVersion, 2);
  t.is(index.manifests[0].mediaType, 'application/vnd.oci.image.manifest.v1+json');
  t.is(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'latest');
  const blob = (digest: string) => readFile(join(layout, 'blobs/sha256', digest.replace('sha256:', '')));
  for (const name of await readdir(join(layout, 'blobs/sha256'))) {
    t.is(sha256(await blob(`sha256:${name}`)), `sha256:${name}`, 'every blob is named by its digest');
  }
  const manifest = JSON.parse((await blob(index.manifests[0].digest)).toString());
  t.is(manifest.config.mediaType, 'application/vnd.oci.image.config.v1+json');
  t.is(manifest.config.digest, result.imageId, 'the config blob is the image config itself');
  t.is(manifest.layers.length, 2);
  for (const layer of manifest.layers) {
    t.is(layer.mediaType, 'application/vnd.oci.image.layer.v1.tar');
    t.is((await blob(layer.digest)).length, layer.size);
  }
  const config = JSON.parse((await blob(manifest.config.digest)).toString());
  t.deepEqual(
    config.rootfs.diff_ids,
    manifest.layers.map((l: { digest: string }) => l.digest),
  );

  // docker-archive: what docker save writes, and docker load reads.
  const archive = await runCommand('tar', ['-tf', join(out, 'image.docker.tar')]);
  t.true(archive.stdout.includes('manifest.json'));
  const loaded = await runCommand(dockerCli, ['load', '-i', join(out, 'image.docker.tar')]);
  t.is(loaded.code, 0, loaded.stderr);
  t.regex(
    loaded.stdout,
    new RegExp(`Loaded image: ${tag}`),
    "the archive carries the build's tags, as docker save TAG writes them",
  );

  const metadata = JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8'));
  t.is(metadata['containerimage.config.digest'], result.imageId);
  t.is(metadata['containerimage.digest'], index.manifests[0].digest);
  t.is(metadata['image.name'], tag);
});

test('a failed build writes no output and leaves nothing half-written', async (t) => {
  const failing = await makeContext({ Dockerfile: 'FROM busybox\nRUN exit 1\n' });
  cleanup.push(failing);
  const dir = await mkdtemp(join(out, 'failed-'));
  const dest = join(dir, 'never');
  await t.throwsAsync(
    build({ context: failing, network: 'none', pull: 'never', cacheDir, outputs: [{ type: 'local', dest }] }),
    { instanceOf: BuildError },
  );
  t.false(existsSync(dest));
  t.deepEqual(await readdir(dir), [], 'nothing half-written');
});

test('the metadata file has the manifest digest without an OCI output; --iidfile of an earlier build is removed first', async (t) => {
  const tag = `${uniqueName('msbuild-export-meta')}:latest`;
  tags.push(tag);
  const metadataFile = join(out, 'meta-only.json');
  const ociFile = join(out, 'meta-check.oci.tar');
  // A cache of its own: the other tests build the same context at the same time, to other RUN layers.
  const ownCache = await mkdtemp(join(tmpdir(), 'msbuild-export-meta-'));
  cleanup.push(ownCache);
  const result = await build({
    context,
    tags: [tag],
    network: 'none',
    pull: 'never',
    cacheDir: ownCache,
    metadataFile,
  });
  const metadata = JSON.parse(await readFile(metadataFile, 'utf8'));
  const again = await build({
    context,
    network: 'none',
    pull: 'never',
    cacheDir: ownCache,
    outputs: [{ type: 'oci', dest: ociFile }],
  });
  t.is(again.imageId, result.imageId, 'the second build is the same image, from the cache');
  const layout = join(out, 'meta-check');
  await runCommand('mkdir', ['-p', layout]);
  await runCommand('tar', ['-xf', ociFile, '-C', layout]);
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
  t.is(metadata['containerimage.config.digest'], result.imageId);
  t.is(metadata['containerimage.digest'], index.manifests[0].digest, 'the same manifest digest as the OCI output has');

  const failing = await makeContext({ Dockerfile: 'FROM busybox\nRUN exit 1\n' });
  cleanup.push(failing);
  const iidfile = join(out, 'stale.iid');
  await writeFile(iidfile, 'sha256:stale');
  await t.throwsAsync(build({ context: failing, network: 'none', pull: 'never', cacheDir: ownCache, iidfile }), {
    instanceOf: BuildError,
  });
  t.false(existsSync(iidfile), 'a failed build leaves no image ID behind, as with docker build');
});

test('when one of several outputs cannot be written, none is, no tag moves, and the error is clear', async (t) => {
  const tag = `${uniqueName('msbuild-export-atomic')}:latest`;
  // A directory of its own: the other tests write partial files into `out` while they run.
  const dir = await mkdtemp(join(out, 'atomic-'));
  const blocker = join(dir, 'a-file');
  await writeFile(blocker, 'not a directory\n');
  const first = join(dir, 'first-of-two');
  const error = await t.throwsAsync(
    build({
      context,
      tags: [tag],
      network: 'none',
      pull: 'never',
      cacheDir,
      outputs: [
        { type: 'local', dest: first },
        { type: 'tar', dest: join(blocker, 'fs.tar') },
      ],
    }),
    { instanceOf: OutputError },
  );
  t.regex(error?.message ?? '', /cannot write output type=tar,dest=.*a-file\/fs\.tar/);
  t.false(existsSync(first), 'the output that could be written was not put in place');
  t.deepEqual(await readdir(dir), ['a-file'], 'no temporary output is left');
  const inspected = await runCommand(dockerCli, ['image', 'inspect', tag]);
  t.not(inspected.code, 0, 'the tag was not created');
});

test('a local output merges into a directory that holds files: nothing of the user is removed, nothing written through its symlinks', async (t) => {
  // As `msbuild build -o . .` in a source directory: the sources and .git stay beside what is exported.
  const dir = await mkdtemp(join(out, 'merge-'));
  const dest = join(dir, 'dest');
  const outside = join(dir, 'outside');
  await runCommand('mkdir', ['-p', join(dest, '.git'), join(dest, 'app/notes.txt'), join(outside, 'sub')]);
  await writeFile(join(dest, 'Dockerfile'), 'mine\n');
  await writeFile(join(dest, '.git/HEAD'), 'ref\n');
  await writeFile(join(dest, 'app/old.txt'), 'old\n');
  await writeFile(join(dest, 'app/notes.txt/inner'), 'a directory where the output has a file\n');
  await writeFile(join(outside, 'victim.txt'), 'outside\n');
  // Symlinks the destination already holds, where the output has a file and a directory.
  await symlink(join(outside, 'victim.txt'), join(dest, 'app/hello'));
  await symlink(join(outside, 'sub'), join(dest, 'app/sub'));
  // A second destination whose top-level `app` is a symlink out of it.
  const linked = join(dir, 'linked');
  await runCommand('mkdir', ['-p', linked]);
  await symlink(outside, join(linked, 'app'));
  await chmod(dest, 0o750);
  await build({
    context,
    network: 'none',
    pull: 'never',
    cacheDir,
    outputs: [
      { type: 'local', dest },
      { type: 'local', dest: linked },
    ],
  });
  t.is(await readFile(join(dest, 'Dockerfile'), 'utf8'), 'mine\n');
  t.is(await readFile(join(dest, '.git/HEAD'), 'utf8'), 'ref\n');
  t.is(await readFile(join(dest, 'app/old.txt'), 'utf8'), 'old\n', 'a file the output lacks stays');
  t.is(await readFile(join(dest, 'app/hello'), 'utf8'), 'hello\n');
  t.false((await lstat(join(dest, 'app/hello'))).isSymbolicLink(), 'the symlink was replaced, not written through');
  t.is(await readFile(join(dest, 'app/notes.txt'), 'utf8'), 'notes\n', 'the file replaced the directory');
  t.true((await lstat(join(dest, 'app/sub'))).isDirectory(), 'a real directory replaced the symlink');
  t.is((await lstat(join(dest, 'app/sub'))).mode & 0o777, 0o700);
  t.is(await readlink(join(dest, 'app/link')), 'hello');
  t.is((await lstat(dest)).mode & 0o777, 0o750, "the destination's own mode is left alone");
  t.true((await lstat(join(linked, 'app'))).isDirectory());
  t.is(await readFile(join(linked, 'app/hello'), 'utf8'), 'hello\n');
  t.is(await readFile(join(outside, 'victim.txt'), 'utf8'), 'outside\n');
  t.deepEqual(await readdir(outside), ['sub', 'victim.txt'], 'nothing was written outside the destinations');
  t.deepEqual(await readdir(join(outside, 'sub')), []);
  t.deepEqual((await readdir(dest)).sort(), ['.git', 'Dockerfile', 'app'], 'no temporary entry is left');
});

test('a file output refuses a destination that is a directory instead of replacing it', async (t) => {
  const dir = await mkdtemp(join(out, 'file-over-dir-'));
  await writeFile(join(dir, 'keep.txt'), 'mine\n');
  const error = await t.throwsAsync(
    build({ context, network: 'none', pull: 'never', cacheDir, outputs: [{ type: 'tar', dest: dir }] }),
    { instanceOf: OutputError },
  );
  t.regex(error?.message ?? '', /is a directory/);
  t.deepEqual(await readdir(dir), ['keep.txt']);
});

test('-o type=docker,name=X and type=image,name=X name the image (-t wins when both are given, as in buildx)', async (t) => {
  const { parseOutputSpec } = await import('../../engine/export/exporters.js');
  t.deepEqual(parseOutputSpec('type=docker,name=a:1'), { type: 'docker', names: ['a:1'] });
  t.deepEqual(parseOutputSpec('type=image,name=a:1,b:2'), { type: 'docker', names: ['a:1', 'b:2'] });
  t.deepEqual(parseOutputSpec('type=docker'), { type: 'docker' });
  const named = `${uniqueName('msbuild-export-name')}:v1`;
  const second = `${uniqueName('msbuild-export-name')}:v2`;
  tags.push(named, second);
  const result = await build({
    context,
    network: 'none',
    pull: 'never',
    cacheDir,
    outputs: [parseOutputSpec(`type=image,name=${named},${second}`)],
  });
  t.deepEqual(result.tags, [named, second]);
  for (const tag of [named, second]) {
    const inspected = await runCommand(dockerCli, ['image', 'inspect', '--format', '{{.Id}}', tag]);
    t.is(inspected.stdout.trim(), result.imageId, `${tag} names the image`);
  }
  const bad = await t.throwsAsync(
    build({ context, network: 'none', pull: 'never', cacheDir, outputs: [{ type: 'docker', names: ['Bad:Tag'] }] }),
    { instanceOf: BuildError },
  );
  t.regex(bad?.message ?? '', /invalid tag "Bad:Tag"/, 'a name is checked before the build, as a tag is');
});

test('a tag the daemon would refuse is refused before anything is built', async (t) => {
  const error = await t.throwsAsync(build({ context, tags: ['Bad:Tag'], network: 'none', pull: 'never', cacheDir }), {
    instanceOf: BuildError,
  });
  t.is(error?.message, 'invalid tag "Bad:Tag": repository name must be lowercase');
});

/** What an output and `docker export` are compared on, per path: one line, mtime in seconds included. */
type Listing = Map<string, string>;

function describeEntry(type: string, mode: number, uid: number, gid: number, mtime: Date, extra: string): string {
  return `${type} ${(mode & 0o7777).toString(8)} ${uid}:${gid} ${Math.floor(mtime.getTime() / 1000)} ${extra}`;
}

/** Entries of a tar under `under/`, as `docker export` or the tar output writes them. */
async function tarListing(archive: Readable, under: string): Promise<Listing> {
  const listing: Listing = new Map();
  const extract = tarStream.extract();
  extract.on('entry', (header, entry, next) => {
    const path = header.name.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    const extra =
      header.type === 'symlink' || header.type === 'link'
        ? `-> ${header.linkname}`
        : header.type === 'character-device' || header.type === 'block-device'
          ? `${header.devmajor},${header.devminor}`
          : header.type === 'file'
            ? String(header.size)
            : '';
    if (path === under || path.startsWith(`${under}/`))
      listing.set(path, describeEntry(header.type, header.mode, header.uid, header.gid, header.mtime, extra));
    entry.on('end', () => next());
    entry.resume();
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', () => resolve());
    extract.on('error', reject);
  });
  archive.pipe(extract as unknown as NodeJS.WritableStream);
  await done;
  return listing;
}

/** A directory's entries under `under/`, hard links written as Docker writes them (later names link to the first). */
async function directoryListing(root: string, under: string): Promise<Listing> {
  const listing: Listing = new Map();
  const firstNames = new Map<string, string>();
  const visit = async (path: string): Promise<void> => {
    const stats = await lstat(join(root, path), { bigint: true });
    const mode = Number(stats.mode);
    const mtime = new Date(Number(stats.mtimeMs));
    const [uid, gid] = [Number(stats.uid), Number(stats.gid)];
    const inode = `${stats.dev}:${stats.ino}`;
    if (stats.isDirectory()) listing.set(path, describeEntry('directory', mode, uid, gid, mtime, ''));
    else if (stats.isSymbolicLink())
      listing.set(path, describeEntry('symlink', mode, uid, gid, mtime, `-> ${await readlink(join(root, path))}`));
    else if (stats.nlink > 1n && firstNames.has(inode))
      listing.set(path, describeEntry('link', mode, uid, gid, mtime, `-> ${firstNames.get(inode)}`));
    else {
      if (stats.nlink > 1n) firstNames.set(inode, path);
      const { major, minor } = deviceNumbers(stats.rdev);
      if (stats.isCharacterDevice())
        listing.set(path, describeEntry('character-device', mode, uid, gid, mtime, `${major},${minor}`));
      else if (stats.isBlockDevice())
        listing.set(path, describeEntry('block-device', mode, uid, gid, mtime, `${major},${minor}`));
      else if (stats.isFIFO()) listing.set(path, describeEntry('fifo', mode, uid, gid, mtime, ''));
      else listing.set(path, describeEntry('file', mode, uid, gid, mtime, String(stats.size)));
    }
    if (stats.isDirectory())
      for (const name of (await readdir(join(root, path))).sort()) await visit(`${path}/${name}`);
  };
  await visit(under);
  return listing;
}

/** A tar with every kind of entry a layer can hold, with owners, modes and times of their own. */
async function specialArchive(): Promise<Buffer> {
  const pack = tarStream.pack();
  const written = buffer(pack as unknown as Readable);
  const at = (seconds: number) => new Date(seconds * 1000);
  const entries: Array<[Parameters<typeof pack.entry>[0], string?]> = [
    [{ name: 'top/', type: 'directory', mode: 0o750, uid: 3, gid: 4, mtime: at(1500000000) }],
    [{ name: 'top/file.txt', mode: 0o640, uid: 1000, gid: 1000, mtime: at(1600000000) }, 'hello\n'],
    [
      {
        name: 'top/hard',
        type: 'link',
        linkname: 'top/file.txt',
        mode: 0o640,
        uid: 1000,
        gid: 1000,
        mtime: at(1600000000),
      },
    ],
    [
      {
        name: 'top/dev',
        type: 'character-device',
        mode: 0o620,
        uid: 5,
        gid: 6,
        devmajor: 1,
        devminor: 3,
        mtime: at(1610000000),
      },
    ],
    [{ name: 'top/blk', type: 'block-device', mode: 0o660, gid: 6, devmajor: 7, devminor: 1, mtime: at(1620000000) }],
    [{ name: 'top/fifo', type: 'fifo', mode: 0o600, uid: 7, gid: 7, mtime: at(1630000000) }],
    [{ name: 'top/sym', type: 'symlink', linkname: 'file.txt', mode: 0o777, uid: 8, gid: 9, mtime: at(1640000000) }],
    [{ name: 'top/sub/', type: 'directory', mode: 0o755, mtime: at(1650000000) }],
    [
      {
        name: 'top/sub/hard2',
        type: 'link',
        linkname: 'top/file.txt',
        mode: 0o640,
        uid: 1000,
        gid: 1000,
        mtime: at(1600000000),
      },
    ],
  ];
  for (const [header, body] of entries) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ mtime: at(1700000000), ...header }, body ?? '', (error) => (error ? reject(error) : resolve())),
    );
  }
  pack.finalize();
  return written;
}

for (const [label, base] of [
  ['msbuild-written layers', 'scratch'],
  ['daemon-committed layers', 'busybox'],
] as const) {
  test(`local and tar outputs keep devices, fifos, hard links and symlink times as docker export shows them (${label})`, async (t) => {
    const special = await makeContext({ Dockerfile: `FROM ${base}\nADD special.tar /x/\n` });
    cleanup.push(special);
    await writeFile(join(special, 'special.tar'), await specialArchive());
    const tag = `${uniqueName('msbuild-export-special')}:latest`;
    tags.push(tag);
    const dir = await mkdtemp(join(out, 'special-'));
    await build({
      context: special,
      tags: [tag],
      network: 'none',
      pull: 'never',
      cacheDir,
      outputs: [
        { type: 'local', dest: join(dir, 'local') },
        { type: 'tar', dest: join(dir, 'fs.tar') },
      ],
    });

    const container = await docker.createContainer({
      Image: tag,
      Cmd: ['/none'],
      Entrypoint: [],
      NetworkDisabled: true,
    });
    let exported: Listing;
    try {
      exported = await tarListing((await container.export()) as unknown as Readable, 'x');
    } finally {
      await container.remove({ force: true });
    }
    t.true(
      exported.get('x/top/dev')?.startsWith('character-device 620 5:6 1610000000 1,3'),
      'the oracle has the device',
    );
    t.true(exported.get('x/top/hard')?.startsWith('link'), 'the oracle has the hard link');
    t.deepEqual(await directoryListing(join(dir, 'local'), 'x'), exported, 'type=local');
    t.deepEqual(await tarListing(createReadStream(join(dir, 'fs.tar')), 'x'), exported, 'type=tar');
  });
}
