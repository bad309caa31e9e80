// Network namespaces ready before the RUNs that need them: on the build's first cache miss with RUN
// steps still to come, the worker prepares one per network mode those RUNs use; after the last RUN
// they go, while the build finishes its other steps. A fully cached build, or one whose misses come
// after its last RUN, prepares none (it would only add a container to remove).
import type { BuildPlan } from '../plan/plan.js';
import type { DispatchedStep } from '../plan/step.js';
import type { SolverHooks } from '../solver/solver-env.js';
import type { NetworkMode } from '../worker/container-spec.js';
import type { Worker } from '../worker/worker.js';

export function networkWarmup(plan: BuildPlan, worker: Worker, buildNetwork: NetworkMode): SolverHooks {
  /** RUN steps of the plan not yet finished (cached, run or failed). */
  let runStepsLeft = plan.stages.reduce(
    (sum, stage) => sum + stage.steps.filter((step) => step.action.kind === 'run').length,
    0,
  );
  let warmed = false;
  return {
    miss(current: DispatchedStep) {
      const later = runStepsLeft - (current.action.kind === 'run' ? 1 : 0);
      if (warmed || later <= 0) return;
      warmed = true;
      const modes = new Set<NetworkMode>();
      for (const stage of plan.stages) {
        for (const step of stage.steps) {
          // A privileged step could change its namespace's settings for the steps after it: none is shared.
          if (step.action.kind === 'run' && step.action.security !== 'insecure')
            modes.add(step.action.network === 'default' ? buildNetwork : step.action.network);
        }
      }
      worker.prepareNetworks(modes);
    },
    settled(step: DispatchedStep) {
      if (step.action.kind !== 'run') return;
      runStepsLeft--;
      if (runStepsLeft === 0) worker.releaseNetworks();
    },
  };
}
