// WORKDIR steps: the directory (and missing parents) is created as the current USER, 0755, as
// BuildKit does; an existing directory is left as it is and the step adds no layer.
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { containerView, knownView, recordEntries, type TargetView } from '../copy/apply.js';
import { resolveChown } from '../copy/chown.js';
import { addWrittenLayer, adoptCommittedLayer } from '../image/assemble.js';
import { writeLayer, type LayerEntry } from '../image/layer.js';
import { configWithLayer, withConfigOnly, type ImageState } from '../image/state.js';
import type { DispatchedStep, WorkdirAction } from '../plan/dispatch.js';
import type { StepContext, StepOutcome } from './context.js';
import { scratchContainer, userDatabase } from './users.js';

async function missingDirectories(view: TargetView, path: string, owner: { uid: number; gid: number }, time: Date): Promise<LayerEntry[]> {
  const parts = view.realPath(path).split('/').filter((p) => p !== '');
  const entries: LayerEntry[] = [];
  for (let i = 1; i <= parts.length; i++) {
    const prefix = `/${parts.slice(0, i).join('/')}`;
    if (entries.length === 0 && (await view.kind(prefix)) !== undefined) continue;
    entries.push({ path: prefix, type: 'directory', mode: 0o755, uid: owner.uid, gid: owner.gid, mtime: time });
  }
  return entries;
}

async function ownerOf(context: StepContext, state: ImageState, user: string, view?: TargetView) {
  if (user === '') return { uid: 0, gid: 0 };
  try {
    return resolveChown(user, await userDatabase(context, state, view));
  } catch {
    // BuildKit creates the directory as root when the user is not in /etc/passwd.
    return { uid: 0, gid: 0 };
  }
}

export async function executeWorkdir(
  context: StepContext,
  step: DispatchedStep,
  action: WorkdirAction,
  state: ImageState,
  time: Date,
): Promise<StepOutcome> {
  const stamp = context.epoch ?? time;
  const layerPath = join(context.tempDir, `workdir-${Math.random().toString(36).slice(2)}.tar`);
  try {
    if (state.knownFs) {
      const view = knownView(state.knownFs);
      const entries = await missingDirectories(view, action.path, await ownerOf(context, state, action.user), stamp);
      const layer = entries.length > 0 ? await writeLayer(entries, layerPath) : undefined;
      const next = addWrittenLayer(state, layer, step.configAfter, step.history, time, context.epoch);
      const knownFs = state.knownFs.clone();
      recordEntries(knownFs, entries);
      return { state: { ...next, knownFs }, layerSize: 0 };
    }
    if (state.layerImageId === undefined) throw new Error('internal: an image without layers must have a known filesystem');
    const container = await scratchContainer(context, state.layerImageId);
    try {
      const view = containerView(container);
      const entries = await missingDirectories(view, action.path, await ownerOf(context, state, action.user, view), stamp);
      if (entries.length === 0) {
        // The directory exists: like BuildKit, no layer, only the config changes.
        const config = configWithLayer(state, step.configAfter, step.history, undefined, time, context.epoch);
        return { state: withConfigOnly(state, config), layerSize: 0 };
      }
      await writeLayer(entries, layerPath);
      await container.putArchive(createReadStream(layerPath), '/');
      return await adoptCommittedLayer(context.docker, state, await container.commit(), step.configAfter, step.history, time, context.epoch);
    } finally {
      container.release();
    }
  } finally {
    // A written layer stays until it is loaded (with the stage); the build's temp dir goes at its end.
    if (!state.knownFs) await rm(layerPath, { force: true });
  }
}
