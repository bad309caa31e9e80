// Pushing the built image (`--push`, `-o type=image,name=REF,push=true`, `-o type=registry,name=REF`):
// which names are tagged and pushed, and the push itself, through the daemon with the credentials
// the docker CLI would use (X-Registry-Auth). A push is checked against the registry first, so a
// wrong password is one error naming the registry before the daemon starts sending layers.
import type { TransferEvent } from '../events.js';
import type { Registries } from '../registry/client.js';
import { authConfigKey, registryAuthHeader } from '../registry/credentials.js';
import { RegistryError } from '../registry/errors.js';
import { parseReference } from '../registry/reference.js';
import { transferFailure } from '../registry/transfer-failure.js';
import { ImageTransferError, type ImageStore } from '../worker/image-store.js';
import type { OutputSpec } from './exporters.js';

/**
 * The names pushed: the image's names (-t, else the outputs' `name=`, resolved by imageNames in
 * exporters.ts; buildx fills a pushing output's names from -t the same way), when `--push` or an output
 * with push=true asks; none otherwise.
 */
export function pushedNames(options: {
  tags: readonly string[];
  outputs: readonly OutputSpec[];
  push: boolean;
}): string[] {
  if (!options.push && !options.outputs.some((output) => output.type === 'docker' && output.push)) return [];
  if (options.tags.length === 0)
    throw new RegistryError(
      'nothing to push: name the image with -t NAME (or name=NAME in --output type=registry)',
      'push',
    );
  return [...new Set(options.tags)];
}

export interface PushOptions {
  registries: Registries;
  signal?: AbortSignal;
  emit: (event: TransferEvent) => void;
}

/**
 * Pushes the daemon's image under each name (already tagged); resolves with the manifest digest the
 * registry stored (one image, so one digest for every name).
 */
export async function pushImage(images: ImageStore, names: readonly string[], options: PushOptions): Promise<string> {
  let digest = '';
  for (const name of names) {
    const ref = parseReference(name);
    const repository = options.registries.repository(ref);
    // The registry's verdict on the credentials, before any layer moves. A registry msbuild itself
    // cannot reach or trust may still be the daemon's to reach: only a refusal stops here.
    await repository.ping().catch((error: unknown) => {
      if (error instanceof RegistryError && (error.kind === 'unauthorized' || error.kind === 'denied')) throw error;
    });
    const credentials = await options.registries.credentials(ref.domain);
    const seen = new Map<string, string>();
    try {
      const result = await images.push(name, {
        registryAuth: registryAuthHeader(credentials, authConfigKey(ref.domain)),
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (progress) => {
          // Status changes only: byte counts would be a line per chunk.
          if (progress.id === undefined || seen.get(progress.id) === progress.status) return;
          seen.set(progress.id, progress.status);
          if (progress.current !== undefined) return;
          options.emit({
            type: 'transfer',
            time: Date.now(),
            action: 'push',
            ref: name,
            layer: progress.id,
            status: progress.status,
          });
        },
      });
      digest = result.digest;
    } catch (error) {
      if (error instanceof ImageTransferError)
        throw transferFailure('push', { text: name, ref, credentials }, error.message);
      throw error;
    }
    options.emit({
      type: 'transfer',
      time: Date.now(),
      action: 'push',
      ref: name,
      status: 'pushed',
      done: true,
      digest,
    });
  }
  return digest;
}
