// The FROM of a stage: where its steps start. A base stage's result (its layers, this stage's config),
// scratch (an empty, known filesystem), or a base image resolved in the daemon (pulled per policy).
// Its key is the base's: the base stage's last key, or the base image's ID.
import { baseKey } from '../cache/key.js';
import { cloneConfig } from '../image/config.js';
import { KnownFs } from '../image/known-fs.js';
import type { StagePlan } from '../plan/plan.js';
import type { StageOutcome } from '../solver/solver-env.js';
import type { BaseImages } from './base-images.js';
import type { StageResults } from './env.js';

export async function startStage(
  env: { stages: StageResults; baseImages: BaseImages; platform: string },
  stage: StagePlan,
): Promise<StageOutcome> {
  const base = stage.node.base;
  if (base.kind === 'stage') {
    const parent = await env.stages.wait(base.stage);
    const config = cloneConfig(stage.start.config);
    config.rootfs = parent.state.config.rootfs;
    config.history = parent.state.config.history;
    return {
      state: { ...parent.state, config, imageId: undefined, knownFs: parent.state.knownFs?.clone() },
      key: parent.key,
    };
  }
  if (base.kind === 'scratch') {
    return {
      state: { config: cloneConfig(stage.start.config), knownFs: new KnownFs() },
      key: baseKey({ kind: 'scratch' }, env.platform),
    };
  }
  const image = await env.baseImages.resolve(base.ref);
  return {
    state: { config: cloneConfig(stage.start.config), layerImageId: image.id },
    key: baseKey({ kind: 'image', id: image.id }, env.platform),
  };
}
