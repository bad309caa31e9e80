// Integration: every exporter's output — a directory and a tar equal to the image's files, an OCI
// layout with the spec's files and correct digests, a docker archive — and none left half-written.
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../engine/build.js';
import { BuildError } from '../../engine/build-error.js';
import { OutputError } from '../../engine/export/exporters.js';
import { dockerCli, imageFiles, makeContext, removeDir, removeImages, requireDaemon, runCommand, uniqueName } from '../support/docker.js';

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
    Dockerfile: 'FROM busybox AS build\nRUN mkdir -p /out/sub && echo hello > /out/hello && ln -s hello /out/link && chmod 700 /out/sub\nFROM scratch\nCOPY --from=build /out /app/\nCOPY notes.txt /app/\n',
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
    context, tags: [tag], network: 'none', pull: 'never', cacheDir,
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
  t.deepEqual(listing.stdout.trim().split('\n').map((p) => p.replace(/\/$/, '')).sort(), ['app', 'app/hello', 'app/link', 'app/notes.txt', 'app/sub']);

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
  t.deepEqual(config.rootfs.diff_ids, manifest.layers.map((l: { digest: string }) => l.digest));

  // docker-archive: what docker save writes, and docker load reads.
  const archive = await runCommand('tar', ['-tf', join(out, 'image.docker.tar')]);
  t.true(archive.stdout.includes('manifest.json'));
  const loaded = await runCommand(dockerCli, ['load', '-i', join(out, 'image.docker.tar')]);
  t.is(loaded.code, 0, loaded.stderr);
  t.regex(loaded.stdout, new RegExp(`Loaded image: ${tag}`), 'the archive carries the build\'s tags, as docker save TAG writes them');

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
  await t.throwsAsync(build({ context: failing, network: 'none', pull: 'never', cacheDir, outputs: [{ type: 'local', dest }] }), { instanceOf: BuildError });
  t.false(existsSync(dest));
  t.deepEqual(await readdir(dir), [], 'nothing half-written');
});

test('the metadata file has the manifest digest without an OCI output; --iidfile of an earlier build is removed first', async (t) => {
  const tag = `${uniqueName('msbuild-export-meta')}:latest`;
  tags.push(tag);
  const metadataFile = join(out, 'meta-only.json');
  const ociFile = join(out, 'meta-check.oci.tar');
  const result = await build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir, metadataFile });
  const metadata = JSON.parse(await readFile(metadataFile, 'utf8'));
  await build({ context, network: 'none', pull: 'never', cacheDir, outputs: [{ type: 'oci', dest: ociFile }] });
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
  await t.throwsAsync(build({ context: failing, network: 'none', pull: 'never', cacheDir, iidfile }), { instanceOf: BuildError });
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
    build({ context, tags: [tag], network: 'none', pull: 'never', cacheDir, outputs: [{ type: 'local', dest: first }, { type: 'tar', dest: join(blocker, 'fs.tar') }] }),
    { instanceOf: OutputError },
  );
  t.regex(error?.message ?? '', /cannot write output type=tar,dest=.*a-file\/fs\.tar/);
  t.false(existsSync(first), 'the output that could be written was not put in place');
  t.deepEqual(await readdir(dir), ['a-file'], 'no temporary output is left');
  const inspected = await runCommand(dockerCli, ['image', 'inspect', tag]);
  t.not(inspected.code, 0, 'the tag was not created');
});

test('a tag the daemon would refuse is refused before anything is built', async (t) => {
  const error = await t.throwsAsync(build({ context, tags: ['Bad:Tag'], network: 'none', pull: 'never', cacheDir }), { instanceOf: BuildError });
  t.is(error?.message, 'invalid tag "Bad:Tag": repository name must be lowercase');
});
