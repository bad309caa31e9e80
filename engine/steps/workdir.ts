// The WORKDIR op: the directory (and missing parents) is created as the current USER, 0755, as
// BuildKit does; an existing directory is left as it is and the step adds no layer. Its key is its
// instruction alone.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { knownView, recordEntries, type TargetView } from '../copy/apply.js';
import { resolveChown } from '../copy/chown.js';
import { writeLayer, type LayerEntry } from '../image/layer.js';
import {
  addWrittenLayer,
  configWithLayer,
  withConfigOnly,
  withNewLayer,
  type ImageState,
  type StepChange,
} from '../image/state.js';
import type { DispatchedStep, WorkdirAction } from '../plan/step.js';
import type { Op, StepOutcome, StepRun } from '../solver/op.js';
import type { StepEnv } from './env.js';
import { userDatabase } from './users.js';

async function missingDirectories(
  view: TargetView,
  path: string,
  stamp: { owner: { uid: number; gid: number }; time: Date },
): Promise<LayerEntry[]> {
  const parts = view
    .realPath(path)
    .split('/')
    .filter((p) => p !== '');
  const entries: LayerEntry[] = [];
  // Existing directories above the first missing one, named as they are where the view can say (see TargetView.attributes).
  const above: LayerEntry[] = [];
  const { owner, time } = stamp;
  for (let i = 1; i <= parts.length; i++) {
    const prefix = `/${parts.slice(0, i).join('/')}`;
    if (entries.length === 0 && (await view.kind(prefix)) !== undefined) {
      const existing = await view.attributes?.(prefix);
      if (existing) above.push({ path: prefix, type: 'directory', ...existing });
      continue;
    }
    entries.push({ path: prefix, type: 'directory', mode: 0o755, uid: owner.uid, gid: owner.gid, mtime: time });
  }
  return entries.length === 0 ? [] : [...above, ...entries];
}

async function ownerOf(
  env: StepEnv,
  state: ImageState,
  user: string,
  lookup: { view?: TargetView; signal: AbortSignal },
) {
  if (user === '') return { uid: 0, gid: 0 };
  try {
    return resolveChown(user, await userDatabase(env.worker, state, lookup));
  } catch {
    // BuildKit creates the directory as root when the user is not in /etc/passwd.
    return { uid: 0, gid: 0 };
  }
}

async function executeWorkdir(
  env: StepEnv,
  work: { step: DispatchedStep; action: WorkdirAction },
  state: ImageState,
  run: StepRun,
): Promise<StepOutcome> {
  const { step, action } = work;
  const change: StepChange = { configAfter: step.configAfter, history: step.history, time: run.time, epoch: env.epoch };
  const time = env.epoch ?? run.time;
  const layerPath = join(env.tempDir, `workdir-${Math.random().toString(36).slice(2)}.tar`);
  if (state.knownFs) {
    // The layer file stays until it is loaded (with the stage); the build's temp dir goes at its end.
    const view = knownView(state.knownFs);
    const owner = await ownerOf(env, state, action.user, { signal: run.signal });
    const entries = await missingDirectories(view, action.path, { owner, time });
    const layer = entries.length > 0 ? await writeLayer(entries, layerPath) : undefined;
    const knownFs = state.knownFs.clone();
    recordEntries(knownFs, entries);
    return { state: { ...addWrittenLayer(state, layer, change), knownFs }, layerSize: 0 };
  }
  const mounted = await env.worker.mount(state, run.signal);
  if (!mounted) throw new Error('internal: an image without layers must have a known filesystem');
  try {
    const owner = await ownerOf(env, state, action.user, { view: mounted.view, signal: run.signal });
    const entries = await missingDirectories(mounted.view, action.path, { owner, time });
    if (entries.length === 0) {
      // The directory exists: like BuildKit, no layer, only the config changes.
      return { state: withConfigOnly(state, configWithLayer(state, change, undefined)), layerSize: 0 };
    }
    await writeLayer(entries, layerPath);
    const layer = await mounted.commit(layerPath, run.signal);
    return { state: withNewLayer(layer, change), layerSize: layer.layerSize };
  } finally {
    mounted.release();
    await rm(layerPath, { force: true });
  }
}

export function workdirOp(env: StepEnv, step: DispatchedStep, action: WorkdirAction): Op {
  return {
    waitForInputs: async () => ({ ready: true, stages: [] }),
    cacheMap: async () => ({}),
    exec: (state, run) => executeWorkdir(env, { step, action }, state, run),
    dispose: async () => undefined,
  };
}
