// The RUN op: the instruction becomes a container spec (argv, env, user, workdir, network, mounts,
// security, limits) that the worker runs on the stage's files; its changes are the step's layer.
// What a bind mount exposes is read by the step, so its content is in the key, as a COPY's is (cache,
// tmpfs and secret mounts stay out of it); a stage mounted from is waited for first.
import { digestOf } from '../cache/key.js';
import { withNewLayer, type ImageState } from '../image/state.js';
import type { DispatchedStep, RunAction } from '../plan/step.js';
import type { CacheMap, Op, OpInputs, StepOutcome, StepRun } from '../solver/op.js';
import type { StageOutcome } from '../solver/solver-env.js';
import type { ContainerSpec } from '../worker/container-spec.js';
import type { StepEnv } from './env.js';
import { prepareBinds, type PreparedBinds } from './mounts/bind-sources.js';
import { prepareMounts } from './mounts/mounts.js';

/** The container spec of a RUN: its own `--network` wins over the build's. */
export function containerSpec(
  env: StepEnv,
  action: RunAction,
  mounts: { mounts: ContainerSpec['mounts']; env: string[] },
): ContainerSpec {
  return {
    argv: action.argv,
    env: [...action.env, ...mounts.env],
    user: action.user,
    workdir: action.workdir,
    network: action.network === 'default' ? env.run.network : action.network,
    security: action.security,
    mounts: mounts.mounts,
    limits: env.run.limits,
    // BuildKit mounts a heredoc with a shebang at /dev/pipes/NAME and runs it.
    ...(action.script ? { script: { path: `/dev/pipes/${action.script.name}`, data: action.script.data } } : {}),
  };
}

async function executeRun(
  env: StepEnv,
  work: { step: DispatchedStep; action: RunAction; binds: PreparedBinds | undefined },
  state: ImageState,
  run: StepRun,
): Promise<StepOutcome> {
  const { step, action } = work;
  const mounts = await prepareMounts(action, {
    binds: work.binds,
    secrets: env.run.secrets,
    tempDir: env.tempDir,
    ...(env.sshAgents ? { sshAgents: env.sshAgents } : {}),
  });
  try {
    const layer = await env.worker.exec(state, containerSpec(env, action, mounts), {
      signal: run.signal,
      onOutput: (stream, chunk) => run.log(stream, chunk.toString('utf8')),
    });
    const change = { configAfter: step.configAfter, history: step.history, time: run.time, epoch: env.epoch };
    return { state: withNewLayer(layer, change), layerSize: layer.layerSize };
  } finally {
    await mounts.release();
  }
}

export function runOp(env: StepEnv, step: DispatchedStep, action: RunAction): Op {
  const hasBinds = action.mounts.some((m) => m.type === 'bind');
  const stages = new Map<number, StageOutcome>();
  let binds: PreparedBinds | undefined;
  return {
    async waitForInputs(): Promise<OpInputs> {
      if (!hasBinds) return { ready: true, stages: [] };
      for (const mount of action.mounts) {
        const index = mount.type === 'bind' && mount.from !== '' ? env.stages.indexOf(mount.from) : undefined;
        if (index === undefined || stages.has(index)) continue;
        stages.set(index, await env.stages.wait(index));
      }
      const rebuilt = [...stages].find(([, outcome]) => outcome.virtual);
      if (rebuilt) return { ready: false, stages: [...stages.keys()], rebuiltStage: env.stages.nameOf(rebuilt[0]) };
      return { ready: true, stages: [...stages.keys()] };
    },
    async cacheMap(run): Promise<CacheMap> {
      const environment = [...action.env].sort();
      if (!hasBinds) return { record: { env: environment } };
      binds = await prepareBinds(action, {
        context: env.contextFs,
        memo: env.memos.fileMemo,
        imageDigests: env.memos.imageDigests,
        readFiles: (image, request, signal) => env.worker.readFiles(image, request, signal),
        signal: run.signal,
        image: async (from) => {
          const index = env.stages.indexOf(from);
          const outcome = index === undefined ? undefined : stages.get(index);
          if (index === undefined || !outcome)
            return { image: (await env.baseImages.resolve(from)).id, description: `image ${from}` };
          const image = await env.stages.refOf(outcome.state, run.signal);
          return { image, description: `stage ${env.stages.nameOf(index)}` };
        },
      });
      return {
        inputs: { mountDigests: binds.digests },
        record: {
          env: environment,
          ...(binds.files.size <= 5000
            ? { files: Object.fromEntries(binds.files) }
            : { filesDigest: digestOf(binds.digests) }),
        },
      };
    },
    exec: (state, run) => executeRun(env, { step, action, binds }, state, run),
    dispose: async () => {
      await binds?.dispose();
    },
  };
}
