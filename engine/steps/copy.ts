// The COPY/ADD op. Its key holds the content digest of what it copies, so the sources are resolved
// and digested first; a COPY --from an image seen before has a known digest and a hit needs no fetch
// at all. On a miss the layer is written by msbuild: loaded later with the stage when the image's
// files are all known (scratch stages), or put into the worker's mount of the image otherwise.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { digestOf } from '../cache/key.js';
import { loadIgnoreRules } from '../context/ignore.js';
import { copyEntries, knownView, recordEntries, type TargetView } from '../copy/apply.js';
import { ContextFs } from '../copy/source-fs.js';
import { KnownFs } from '../image/known-fs.js';
import { writeLayer } from '../image/layer.js';
import { addWrittenLayer, withNewLayer, type ImageState, type StepChange } from '../image/state.js';
import type { CopyAction, DispatchedStep } from '../plan/step.js';
import type { CacheMap, Op, OpInputs, StepOutcome, StepRun } from '../solver/op.js';
import { prepareCopy, type PreparedCopy, type ResolvedCopySource } from './copy-sources.js';
import type { StepEnv } from './env.js';
import { ownerFor } from './users.js';

/** A PreparedCopy whose dispose() runs at most once (a prefetch may be disposed by its step and its stage). */
function onlyOnce(prepared: PreparedCopy): PreparedCopy {
  let disposed: Promise<void> | undefined;
  return { ...prepared, dispose: () => (disposed ??= prepared.dispose()) };
}

/** What a COPY --from digest is remembered under: the image and what is copied from it. */
function fromKeyOf(image: string, action: CopyAction): string {
  const { sources, excludes, unpack, parents } = action;
  return digestOf({ image, sources, excludes, unpack, ...(parents ? { parents } : {}) });
}

/** The source of a COPY, once ready; undefined in a dry run whose source stage would rebuild. */
async function resolveSource(
  env: StepEnv,
  action: CopyAction,
  signal: AbortSignal,
): Promise<ResolvedCopySource | undefined> {
  const source = action.source;
  if (source.kind === 'context') return { kind: 'context', fs: env.contextFs };
  // A `--build-context NAME=DIR` directory, read as the context is (its own .dockerignore applies).
  if (source.kind === 'dir')
    return { kind: 'context', fs: new ContextFs(source.path, await loadIgnoreRules(source.path, undefined)) };
  if (source.kind === 'stage') {
    const outcome = await env.stages.wait(source.stage);
    if (outcome.virtual) return undefined;
    // Any image with the stage's layers will do to read its files.
    const ref = await env.stages.refOf(outcome.state, signal);
    return { kind: 'image', ref, description: `stage ${env.stages.nameOf(source.stage)}` };
  }
  const image = await env.baseImages.resolve(source.ref);
  return { kind: 'image', ref: image.id, description: `image ${source.ref}` };
}

export function copyOp(env: StepEnv, step: DispatchedStep, action: CopyAction): Op {
  let source: Promise<ResolvedCopySource | undefined> | undefined;
  let prefetched: Promise<PreparedCopy | undefined> | undefined;
  let prepared: PreparedCopy | undefined;
  let ready: ResolvedCopySource | undefined;
  let disposed: Promise<void> | undefined;
  const sourceOnce = (signal: AbortSignal) => (source ??= resolveSource(env, action, signal));
  const fromKey = () => {
    if (ready?.kind !== 'image') return undefined;
    const key = fromKeyOf(ready.ref, action);
    env.fromUsed?.(key, { image: ready.ref, rekey: (image) => fromKeyOf(image, action) });
    return key;
  };
  return {
    // Fetching starts as soon as the source is ready, so the stage's steps (which run one after
    // another) do not wait for fetches one by one; not when the digest is known: a hit needs none.
    prefetch(signal) {
      if (action.source.kind === 'context') return;
      prefetched = sourceOnce(signal).then(async (found) => {
        if (!found || found.kind !== 'image') return undefined;
        if (env.memos.imageDigests.has(fromKeyOf(found.ref, action))) return undefined;
        return onlyOnce(await prepareCopy(env, action, found, { memo: undefined, time: new Date(), signal }));
      });
      prefetched.catch(() => undefined);
    },
    async waitForInputs(signal): Promise<OpInputs> {
      ready = await sourceOnce(signal);
      const stages = action.source.kind === 'stage' ? [action.source.stage] : [];
      if (ready) return { ready: true, stages };
      return { ready: false, stages, rebuiltStage: env.stages.nameOf(stages[0]) };
    },
    knownInputs() {
      const key = fromKey();
      const digest = key === undefined ? undefined : env.memos.imageDigests.get(key);
      return digest === undefined ? undefined : { contentDigest: digest };
    },
    async cacheMap(run: StepRun): Promise<CacheMap> {
      const found = ready as ResolvedCopySource;
      prepared =
        (await prefetched) ??
        (await prepareCopy(env, action, found, {
          memo: found.kind === 'context' ? env.memos.fileMemo : undefined,
          time: run.time,
          signal: run.signal,
        }));
      const key = fromKey();
      if (key !== undefined) env.memos.imageDigests.set(key, prepared.digest.digest);
      const digest = prepared.digest;
      return {
        inputs: { contentDigest: digest.digest },
        record:
          digest.files.size <= 5000 ? { files: Object.fromEntries(digest.files) } : { filesDigest: digest.digest },
      };
    },
    exec: (state, run) => executeCopy(env, { step, action, prepared: prepared as PreparedCopy }, state, run),
    dispose() {
      disposed ??= (async () => {
        await prepared?.dispose();
        await prefetched?.then(
          (p) => p?.dispose(),
          () => undefined,
        );
      })();
      return disposed;
    },
  };
}

/**
 * COPY --link writes its files onto an empty tree, merged onto the image as a layer of its own: the
 * destination is not resolved through the image (its symlinks are replaced, an existing directory
 * without a trailing `/` is not written into) and its parents are written anew (0755, the --chown
 * owner), as the Dockerfile reference describes linked copies.
 */
function linkedView(): TargetView {
  return knownView(new KnownFs());
}

/** --chown of a linked copy: numeric IDs or root only (dispatch refused names). */
function linkedOwner(spec: string): { uid: number; gid: number } | undefined {
  if (spec === '') return undefined;
  const [user, group] = spec.split(':', 2).map((part) => (part === 'root' ? 0 : Number(part)));
  return { uid: user, gid: group ?? user };
}

/**
 * Writes the copied files as a layer: onto a known filesystem without a container (loaded later with
 * the stage), else into the worker's mount of the image, committed as the step's layer.
 */
async function executeCopy(
  env: StepEnv,
  copy: { step: DispatchedStep; action: CopyAction; prepared: PreparedCopy },
  state: ImageState,
  run: StepRun,
): Promise<StepOutcome> {
  const { step, action, prepared } = copy;
  const change: StepChange = { configAfter: step.configAfter, history: step.history, time: run.time, epoch: env.epoch };
  const layerPath = join(env.tempDir, `layer-${Math.random().toString(36).slice(2)}.tar`);
  const requestFor = async (view: TargetView) => ({
    items: prepared.items,
    dest: action.dest,
    owner: action.link
      ? linkedOwner(action.chown)
      : await ownerFor(env.worker, state, action.chown, { view, signal: run.signal }),
    chmod: action.chmod,
    excludes: action.excludes,
    time: env.epoch ?? run.time,
    ...(env.epoch ? { clampMtime: env.epoch } : {}),
  });
  if (state.knownFs) {
    // Every file of the image is known: write the layer and load it; no container needed. The
    // layer file stays until it is loaded (with the stage); the build's temp dir goes at its end.
    const view = action.link ? linkedView() : knownView(state.knownFs);
    const entries = await copyEntries(await requestFor(view), view);
    const layer = entries.length > 0 ? await writeLayer(entries, layerPath, run.signal) : undefined;
    const knownFs = state.knownFs.clone();
    recordEntries(knownFs, entries);
    return { state: { ...addWrittenLayer(state, layer, change), knownFs }, layerSize: layer?.contentSize ?? 0 };
  }
  const mounted = await env.worker.mount(state, run.signal);
  if (!mounted) throw new Error('internal: an image without layers must have a known filesystem');
  try {
    const view = action.link ? linkedView() : mounted.view;
    const entries = await copyEntries(await requestFor(view), view);
    if (entries.length > 0) await writeLayer(entries, layerPath, run.signal);
    const layer = await mounted.commit(entries.length > 0 ? layerPath : undefined, run.signal);
    return { state: withNewLayer(layer, change), layerSize: layer.layerSize };
  } finally {
    mounted.release();
    await rm(layerPath, { force: true });
  }
}
