// Base images pulled (`FROM REF` missing, or `--pull`): with the credentials the docker CLI would
// send, per-layer progress as transfer events, and the daemon's failure reworded to name the
// registry (unreachable, no such tag, credentials refused).
import type { TransferEvent } from '../events.js';
import type { Registries } from '../registry/client.js';
import { authConfigKey, registryAuthHeader } from '../registry/credentials.js';
import { parseReference } from '../registry/reference.js';
import { transferFailure } from '../registry/transfer-failure.js';
import { ImageTransferError, type ImageStore } from '../worker/image-store.js';

export interface PullOptions {
  registries: Registries;
  signal?: AbortSignal;
  emit: (event: TransferEvent) => void;
}

export async function pullBaseImage(images: ImageStore, reference: string, options: PullOptions): Promise<void> {
  const ref = parseReference(reference);
  const credentials = await options.registries.credentials(ref.domain);
  const seen = new Map<string, string>();
  try {
    await images.pull(reference, {
      registryAuth: registryAuthHeader(credentials, authConfigKey(ref.domain)),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (progress) => {
        if (progress.id === undefined || progress.current !== undefined) return;
        if (seen.get(progress.id) === progress.status) return;
        seen.set(progress.id, progress.status);
        options.emit({
          type: 'transfer',
          time: Date.now(),
          action: 'pull',
          ref: reference,
          layer: progress.id,
          status: progress.status,
        });
      },
    });
  } catch (error) {
    if (!(error instanceof ImageTransferError)) throw error;
    throw transferFailure('pull', { text: reference, ref, credentials }, error.message);
  }
  options.emit({ type: 'transfer', time: Date.now(), action: 'pull', ref: reference, status: 'pulled', done: true });
}
