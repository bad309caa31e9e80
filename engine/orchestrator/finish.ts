// The end of a successful build: the target's labels, its inline cache, the image made in the daemon
// (a registry cache hit is made only now), published (outputs, tags, push, files), summarized, and
// the caches it was asked to write (a local export, a registry cache) written.
import type { RegistryCacheSession } from '../cache/registry-session.js';
import type { CacheSession } from '../cache/session.js';
import type { StepCache } from '../cache/step-cache.js';
import { exportCache } from '../cache/transfer.js';
import type { BuildEvent, BuildSummary } from '../events.js';
import { publishImage } from '../export/publish.js';
import { pushedNames } from '../export/push.js';
import { cloneConfig } from '../image/config.js';
import { withConfigOnly, type ImageState } from '../image/state.js';
import type { ResolvedOptions } from '../options.js';
import type { BuildPlan } from '../plan/plan.js';
import type { BuildRecorder } from '../recorder.js';
import type { Registries } from '../registry/client.js';
import type { Worker } from '../worker/worker.js';

export interface FinishContext {
  options: ResolvedOptions;
  buildId: string;
  worker: Worker;
  cache: StepCache;
  session: CacheSession;
  registryCache: RegistryCacheSession;
  recorder: BuildRecorder;
  registries: () => Registries;
  /** A state loaded into the daemon, with the pending entries of the steps it loads written. */
  exportState: (state: ImageState, signal?: AbortSignal) => Promise<ImageState>;
  emit: (event: BuildEvent) => void;
  signal: AbortSignal;
}

export async function finishBuild(
  context: FinishContext,
  plan: BuildPlan,
  target: ImageState,
): Promise<{ summary: BuildSummary; state: ImageState }> {
  const { options, cache, session, registryCache, signal } = context;
  let state = target;
  if (options.labels.size > 0) {
    const config = cloneConfig(state.config);
    config.config.Labels = { ...(config.config.Labels ?? {}), ...Object.fromEntries(options.labels) };
    state = await context.exportState(withConfigOnly(state, config), signal);
  }
  const use = { usedKeys: cache.usedKeys, fromDigest: (key: string) => session.imageDigests.get(key) };
  if (options.inlineCache) state = await registryCache.withInline(state, use, signal);
  // A target that is a registry cache hit is made now: the build's image is in the daemon.
  state = await context.worker.exportImage(state, signal);
  const imageId = state.imageId as string;
  const images = context.worker.images;
  await publishImage(images, {
    ...options,
    imageId,
    buildId: context.buildId,
    push: { names: pushedNames(options), options: { registries: context.registries(), signal, emit: context.emit } },
  });
  const summary = context.recorder.summary({
    imageId,
    tags: options.tags,
    imageSize: await images.size(imageId),
    stages: plan.stages.filter((s) => s.node.index !== plan.target.index).map((s) => s.node.displayName),
  });
  // Entries of steps loaded by a later step (a RUN after COPYs onto scratch) exist now: export them too.
  await cache.settle(context.worker.lost !== undefined);
  if (options.cacheTo) await exportCache(images, session.store, options.cacheTo, cache.usedKeys);
  if (options.registryCacheTo) await registryCache.exportTo(options.registryCacheTo, state, use, signal);
  return { summary, state };
}
