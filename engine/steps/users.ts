// User and group lookups in the image a step writes into (for --chown and WORKDIR ownership).
import type { TargetView } from '../copy/apply.js';
import { chownNeedsLookup, resolveChown, type UserDatabase } from '../copy/chown.js';
import type { ImageState } from '../image/state.js';
import type { Worker } from '../worker/worker.js';

async function databaseFrom(view: TargetView): Promise<UserDatabase> {
  return { passwd: await view.readFile('/etc/passwd'), group: await view.readFile('/etc/group') };
}

/** /etc/passwd and /etc/group of the state's image, through `view` or the worker's own mount of it. */
export async function userDatabase(
  worker: Worker,
  state: ImageState,
  lookup: { view?: TargetView; signal: AbortSignal },
): Promise<UserDatabase> {
  if (lookup.view?.readsFiles) return databaseFrom(lookup.view);
  const mounted = await worker.mount(state, lookup.signal);
  if (!mounted) return { passwd: undefined, group: undefined };
  try {
    return await databaseFrom(mounted.view);
  } finally {
    mounted.release();
  }
}

/** `--chown` spec → uid/gid; names are looked up in the image (an unknown name is an error). */
export async function ownerFor(
  worker: Worker,
  state: ImageState,
  spec: string,
  lookup: { view?: TargetView; signal: AbortSignal },
): Promise<{ uid: number; gid: number } | undefined> {
  if (spec === '') return undefined;
  const database = chownNeedsLookup(spec)
    ? await userDatabase(worker, state, lookup)
    : { passwd: undefined, group: undefined };
  return resolveChown(spec, database);
}
