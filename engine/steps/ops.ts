// Which op runs a step, by its kind: the one place that maps plan actions to ops.
import type { DispatchedStep } from '../plan/step.js';
import type { Op, OpFactory } from '../solver/op.js';
import { copyOp } from './copy.js';
import type { StepEnv } from './env.js';
import { runOp } from './run.js';
import { workdirOp } from './workdir.js';

export function opsFor(env: StepEnv): OpFactory {
  return (step: DispatchedStep): Op => {
    const action = step.action;
    switch (action.kind) {
      case 'run':
        return runOp(env, step, action);
      case 'copy':
        return copyOp(env, step, action);
      case 'workdir':
        return workdirOp(env, step, action);
      case 'config':
        throw new Error('internal: a config step has no op');
    }
  };
}
