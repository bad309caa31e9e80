// The end of a successful build: the image written to every `--output` (beside each destination),
// then tagged, then the outputs moved into place together, so a failed build leaves no output and
// moves no tag; then pushed (`--push`, image outputs with push=true); then the files the user asked
// for (`--iidfile`, `--metadata-file`, with the pushed manifest's digest).
import { BuildError } from '../build-error.js';
import { describeError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { ImageStore } from '../worker/image-store.js';
import { manifestDigestOf, prepareOutput, type OutputSpec, type PreparedOutput } from './exporters.js';
import { buildMetadata } from './metadata.js';
import { pushImage, type PushOptions } from './push.js';

export interface PublishRequest {
  imageId: string;
  tags: readonly string[];
  outputs: readonly OutputSpec[];
  iidfile: string | undefined;
  metadataFile: string | undefined;
  /** The build, named in the metadata file. */
  buildId: string;
  /** Names to push (tagged among `tags`), and how. */
  push?: { names: readonly string[]; options: PushOptions };
}

/**
 * A file the user asked for (`--iidfile`, `--metadata-file`), written atomically into an existing
 * directory (as docker build does, none is created); failures are BuildErrors.
 */
async function writeUserFile(flag: string, path: string, data: string): Promise<void> {
  try {
    await writeFileAtomic(path, data, { createDirectory: false });
  } catch (error) {
    throw new BuildError(`cannot write ${flag} ${path}: ${(error as Error).message}`);
  }
}

export async function publishImage(images: ImageStore, request: PublishRequest): Promise<void> {
  const { imageId, tags } = request;
  // Outputs are written before the tags move and put in place together: a failed build leaves none.
  const outputs: PreparedOutput[] = [];
  try {
    for (const output of request.outputs) outputs.push(await prepareOutput(images, { id: imageId, tags }, output));
    for (const tag of tags) {
      await images.tag(imageId, tag).catch((error: unknown) => {
        throw new BuildError(`cannot tag the image as ${tag}: ${describeError(error)}`);
      });
    }
    for (const output of outputs) await output.commit();
  } catch (error) {
    await Promise.all(outputs.map((output) => output.discard()));
    throw error;
  }
  if (request.iidfile) await writeUserFile('--iidfile', request.iidfile, imageId);
  const push = request.push;
  let manifestDigest = push && push.names.length > 0 ? await pushImage(images, push.names, push.options) : undefined;
  manifestDigest ??= outputs.find((output) => output.manifestDigest !== undefined)?.manifestDigest;
  if (request.metadataFile) {
    manifestDigest ??= await manifestDigestOf(images, imageId);
    const metadata = buildMetadata({ imageId, manifestDigest, tags, buildId: request.buildId });
    await writeUserFile('--metadata-file', request.metadataFile, `${JSON.stringify(metadata, null, 2)}\n`);
  }
}
