// Pushes and pulls through the daemon (the Engine API's /images/NAME/push and /images/create) with the
// caller's X-Registry-Auth header, reading the daemon's JSON progress stream: per-layer progress to
// the caller, the pushed manifest's digest from the stream's aux record, and the daemon's own error.
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { describeError } from '../errors.js';
import { splitReference } from '../image/reference.js';
import { onAbort, throwIfAborted } from '../util/abort.js';
import { ImageTransferError, type RegistryTransfer } from '../worker/image-store.js';

interface ProgressLine {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

/** Reads a progress stream to its end; resolves with the aux record, rejects with the daemon's error. */
async function followStream(stream: Readable, options: RegistryTransfer): Promise<{ digest?: string; size?: number }> {
  const result: { digest?: string; size?: number } = {};
  const drop = onAbort(options.signal, () => stream.destroy());
  let buffered = '';
  let failure: string | undefined;
  const handle = (line: string) => {
    if (line.trim() === '') return;
    let parsed: ProgressLine;
    try {
      parsed = JSON.parse(line) as ProgressLine;
    } catch {
      return;
    }
    if (parsed.error !== undefined || parsed.errorDetail?.message !== undefined) {
      failure ??= parsed.errorDetail?.message ?? parsed.error;
      return;
    }
    if (parsed.aux?.Digest) {
      result.digest = parsed.aux.Digest;
      result.size = parsed.aux.Size;
    }
    if (parsed.status)
      options.onProgress?.({
        status: parsed.status,
        ...(parsed.id ? { id: parsed.id } : {}),
        ...(parsed.progressDetail?.current !== undefined ? { current: parsed.progressDetail.current } : {}),
        ...(parsed.progressDetail?.total !== undefined ? { total: parsed.progressDetail.total } : {}),
      });
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) handle(line);
    }
    handle(buffered);
  } finally {
    drop();
  }
  throwIfAborted(options.signal);
  if (failure !== undefined) throw new ImageTransferError(failure);
  return result;
}

/** The daemon's words for a refused request. */
function refusal(error: unknown): ImageTransferError {
  return new ImageTransferError(describeError(error), { cause: error });
}

/** The X-Registry-Auth the Engine API takes (dockerode sends `base64` as it is); none: anonymous. */
function authOf(options: RegistryTransfer): Record<string, unknown> {
  return options.registryAuth !== undefined ? { authconfig: { base64: options.registryAuth } } : {};
}

/** Pushes the daemon's image `reference` (repo:tag); resolves with the manifest digest the registry got. */
export async function pushThroughDaemon(
  docker: Docker,
  reference: string,
  options: RegistryTransfer,
): Promise<{ digest: string; size?: number }> {
  throwIfAborted(options.signal);
  const { repo, tag } = splitReference(reference);
  let stream: Readable;
  try {
    stream = (await docker.getImage(repo).push({
      tag,
      ...authOf(options),
      ...(options.signal ? { abortSignal: options.signal } : {}),
    } as unknown as Record<string, unknown>)) as unknown as Readable;
  } catch (error) {
    throwIfAborted(options.signal);
    throw refusal(error);
  }
  const result = await followStream(stream, options);
  if (!result.digest) throw new ImageTransferError(`the daemon pushed ${reference} but reported no digest`);
  return { digest: result.digest, ...(result.size !== undefined ? { size: result.size } : {}) };
}

/** Pulls `reference` into the daemon. */
export async function pullThroughDaemon(docker: Docker, reference: string, options: RegistryTransfer): Promise<void> {
  throwIfAborted(options.signal);
  // A digest reference goes whole in fromImage; a tag goes apart.
  const { repo, tag } = reference.includes('@') ? { repo: reference, tag: '' } : splitReference(reference);
  let stream: Readable;
  try {
    stream = (await docker.createImage({
      fromImage: repo,
      ...(tag !== '' ? { tag } : {}),
      ...authOf(options),
      ...(options.signal ? { abortSignal: options.signal } : {}),
    } as unknown as Record<string, unknown>)) as unknown as Readable;
  } catch (error) {
    throwIfAborted(options.signal);
    throw refusal(error);
  }
  await followStream(stream, options);
}
