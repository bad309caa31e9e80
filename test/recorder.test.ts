// Unit: the build's bookkeeping from its events alone — steps run (a joined run is not counted
// twice), cached and the time saved, stage images and sizes, and the critical path by dependencies.
import test from 'ava';
import type { BuildEvent, StepRef } from '../engine/events.js';
import { BuildRecorder } from '../engine/recorder.js';

const ref = (id: string): StepRef => ({
  id,
  stage: `s${id[0]}`,
  stageIndex: Number(id[0]),
  index: 1,
  total: 1,
  name: `RUN ${id}`,
  line: 1,
});

function ran(id: string, start: number, end: number, deps: string[], shared = false): BuildEvent[] {
  return [
    { type: 'step-start', time: start, step: ref(id), deps },
    { type: 'cache-miss', time: start, stepId: id, reasons: ['no earlier build of this step in the cache'] },
    {
      type: 'step-done',
      time: end,
      stepId: id,
      seconds: (end - start) / 1000,
      layerSize: 1,
      deps,
      ...(shared ? { shared } : {}),
    },
  ];
}

test('counts, stage sizes and the critical path come from the events', (t) => {
  const recorder = new BuildRecorder();
  const events: BuildEvent[] = [
    // FROM of stage 0: a step, but never a run one.
    { type: 'step-start', time: 0, step: ref('0.1'), deps: [] },
    { type: 'step-done', time: 10, stepId: '0.1', seconds: 0.01, layerSize: 0, deps: [] },
    ...ran('0.2', 10, 500, ['0.1']),
    ...ran('1.1', 0, 100, []),
    ...ran('1.2', 100, 120, ['1.1'], true),
    { type: 'step-start', time: 120, step: ref('1.3'), deps: ['1.2'] },
    { type: 'step-cached', time: 121, step: ref('1.3'), savedSeconds: 4 },
    { type: 'stage-done', time: 500, stage: 's0', stageIndex: 0, imageId: 'sha256:a', size: 100 },
    { type: 'stage-done', time: 130, stage: 's1', stageIndex: 1, imageId: 'sha256:b', size: 50 },
    ...ran('2.1', 500, 900, ['0.2', '1.3']),
    // WORKDIR / with nothing to do: on no path.
    { type: 'step-start', time: 950, step: ref('2.2') },
    { type: 'step-done', time: 950, stepId: '2.2', seconds: 0, layerSize: 0 },
  ];
  for (const event of events) recorder.record(event);
  const summary = recorder.summary({ imageId: 'sha256:c', tags: ['x'], imageSize: 7, stages: ['s0', 's1', 'gone'] });
  t.is(summary.stepsRun, 3);
  t.is(summary.stepsCached, 1);
  t.is(summary.secondsSaved, 4);
  t.deepEqual(summary.stageSizes, [
    { stage: 's0', size: 100 },
    { stage: 's1', size: 50 },
    { stage: 'gone', size: 0 },
  ]);
  t.deepEqual(summary.criticalPath, ['0.1', '0.2', '2.1']);
  t.deepEqual(
    [...recorder.stageImages],
    [
      ['s0', 'sha256:a'],
      ['s1', 'sha256:b'],
    ],
  );
  const dry = recorder.summary({ imageId: '', tags: [], imageSize: 0, stages: ['s0'], dryRun: true });
  t.is(dry.stepsRun, 0);
  t.deepEqual(dry.stageSizes, []);
  t.deepEqual(dry.criticalPath, []);
});
