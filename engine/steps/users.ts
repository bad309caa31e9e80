// User and group lookups in the image a step writes into (for --chown and WORKDIR ownership).
import { BuildContainer, buildLabels } from '../docker/container.js';
import type { TargetView } from '../copy/apply.js';
import { containerView } from '../copy/apply.js';
import { chownNeedsLookup, resolveChown, type UserDatabase } from '../copy/chown.js';
import { layerImageOf } from '../image/assemble.js';
import type { ImageState } from '../image/state.js';
import type { StepContext } from './context.js';

/** A container (never started) from the state's layers, for reading or writing its files. */
export async function scratchContainer(context: StepContext, image: string): Promise<BuildContainer> {
  return BuildContainer.create(
    context.docker,
    { Image: image, Cmd: ['/msbuild-never-runs'], Entrypoint: [], Labels: buildLabels(context.buildId), NetworkDisabled: true },
    context.registry,
  );
}

async function databaseFrom(view: TargetView): Promise<UserDatabase> {
  return { passwd: await view.readFile('/etc/passwd'), group: await view.readFile('/etc/group') };
}

/** /etc/passwd and /etc/group of the state's image, through `view` or a temporary container. */
export async function userDatabase(context: StepContext, state: ImageState, view?: TargetView): Promise<UserDatabase> {
  if (view?.readsFiles) return databaseFrom(view);
  const { image } = await layerImageOf(context.docker, state, context.signal);
  if (image === undefined) return { passwd: undefined, group: undefined };
  const container = await scratchContainer(context, image);
  try {
    return await databaseFrom(containerView(container));
  } finally {
    container.release();
  }
}

/** `--chown` spec → uid/gid; names are looked up in the image (an unknown name is an error). */
export async function ownerFor(
  context: StepContext,
  state: ImageState,
  spec: string,
  view?: TargetView,
): Promise<{ uid: number; gid: number } | undefined> {
  if (spec === '') return undefined;
  const database = chownNeedsLookup(spec) ? await userDatabase(context, state, view) : { passwd: undefined, group: undefined };
  return resolveChown(spec, database);
}
