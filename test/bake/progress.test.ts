// Unit: one progress view for several targets. Events are scoped by target (step IDs, stages, the
// critical path); the views that draw a build get one end after every target ended, the other
// summaries as lines; JSON gets every event as it comes.
import test from 'ava';
import { BakeProgress } from '../../cli/commands/bake-progress.js';
import { scopeEvent } from '../../engine/bake/events.js';
import type { BuildEvent, BuildSummary } from '../../engine/events.js';

const summary = (imageId: string): BuildSummary => ({
  imageId,
  tags: [`${imageId}:t`],
  worker: 'docker',
  seconds: 1,
  stepsRun: 1,
  stepsCached: 0,
  secondsSaved: 0,
  imageSize: 1000,
  stageSizes: [],
  criticalPath: ['0.1'],
});
const step = { id: '0.1', stage: 'base', stageIndex: 0, index: 1, total: 1, name: 'RUN true', line: 2 };
const events = (target: string, end: 'done' | 'error', time: number): BuildEvent[] => [
  { type: 'step-start', time, step },
  { type: 'step-done', time: time + 1, stepId: '0.1', seconds: 0.5, layerSize: 0 },
  end === 'done'
    ? { type: 'build-done', time: time + 2, summary: summary(target) }
    : { type: 'build-error', time: time + 2, message: 'boom', stepId: '0.1' },
];

function record(mode: 'plain' | 'json' | 'tty') {
  const seen: BuildEvent[] = [];
  let written = '';
  const view = new BakeProgress(
    { handle: (event) => seen.push(event), close: () => undefined },
    mode,
    (text) => (written += text),
  );
  return { seen, view, written: () => written };
}

test('scoped events name their target', (t) => {
  const done = scopeEvent('api', { type: 'build-done', time: 1, summary: summary('x') });
  t.deepEqual(done.type === 'build-done' ? done.summary.criticalPath : [], ['api:0.1']);
  const start = scopeEvent('api', { type: 'step-start', time: 1, step });
  t.like(start, { step: { id: 'api:0.1', stage: 'api base' } });
  t.like(scopeEvent('api', { type: 'build-error', time: 1, message: 'm', stepId: '0.1' }), { stepId: 'api:0.1' });
  t.like(scopeEvent('api', { type: 'warning', time: 1, message: 'm' }), { message: 'api: m' });
});

test('tty and plain: ends are held, one reaches the view at the last end time, the rest are summary lines', (t) => {
  const { seen, view, written } = record('tty');
  for (const event of events('api', 'done', 10)) view.handle('api', event);
  for (const event of events('web', 'done', 20)) view.handle('web', event);
  t.false(
    seen.some((event) => event.type === 'build-done'),
    'nothing ended while targets still ran',
  );
  view.finish(['api', 'web']);
  const ends = seen.filter((event) => event.type === 'build-done');
  t.is(ends.length, 1);
  t.like(ends[0], { time: 22, summary: { imageId: 'api' } });
  t.regex(written(), /^\nbuilt web tagged web:t in 1\.0s\n/);
  t.regex(
    written(),
    /critical path: \[web base 1\/1\] RUN true 0\.5s\n$/,
    'the scoped critical path is described in words',
  );
});

test('a failed target makes the one end a failure; the successful ones still get their summary', (t) => {
  const { seen, view, written } = record('plain');
  for (const event of events('api', 'done', 10)) view.handle('api', event);
  for (const event of events('web', 'error', 12)) view.handle('web', event);
  view.finish(['api', 'web']);
  t.deepEqual(
    seen.filter((e) => e.type === 'build-done' || e.type === 'build-error').map((e) => e.type),
    ['build-error'],
  );
  t.regex(written(), /built api tagged api:t/);
});

test('json: every event as it comes, scoped', (t) => {
  const { seen, view, written } = record('json');
  for (const event of events('api', 'done', 10)) view.handle('api', event);
  t.deepEqual(
    seen.map((event) => event.type),
    ['step-start', 'step-done', 'build-done'],
  );
  view.finish(['api']);
  t.is(seen.length, 3);
  t.is(written(), '');
});
