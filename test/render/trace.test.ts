// The Chrome trace file: valid JSON with traceEvents, a named track per stage, a complete event per
// step with its outcome, instants for cache misses.
import test from 'ava';
import { traceFromEvents, traceJson } from '../../cli/render/trace.js';
import type { BuildEvent } from '../../engine/events.js';
import { recordedBuilds } from './_recorded-builds.js';

interface LooseTraceEvent {
  ph: string;
  name: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: string;
  args: Record<string, unknown>;
}

function parse(events: BuildEvent[]): LooseTraceEvent[] {
  const file = JSON.parse(traceJson(events)) as { traceEvents: LooseTraceEvent[]; displayTimeUnit: string };
  return file.traceEvents;
}

for (const [name, events] of Object.entries(recordedBuilds)) {
  test(`the ${name} trace has a complete event per step on its stage's named track`, (t) => {
    const trace = parse(events);
    const threads = trace.filter((e) => e.ph === 'M' && e.name === 'thread_name');
    t.deepEqual(
      threads.map((e) => e.args.name),
      ['base', 'build-client', 'build-server', 'prod'],
    );
    t.is(new Set(threads.map((e) => e.tid)).size, 4);
    const complete = trace.filter((e) => e.ph === 'X');
    const started = new Set(events.flatMap((e) => (e.type === 'step-start' ? [e.step.id] : [])));
    t.deepEqual(complete.map((e) => e.args.id).sort(), [...started].sort());
    for (const e of complete) {
      for (const field of ['ts', 'dur', 'pid', 'tid'] as const)
        t.true(Number.isInteger(e[field]) && (e[field] ?? -1) >= 0, `${field} of ${e.name}`);
      t.is(typeof e.name, 'string');
      const thread = threads.find((th) => th.tid === e.tid);
      t.true(e.name.startsWith(`[${String(thread?.args.name)} `), `${e.name} is on its stage's track`);
    }
    const misses = trace.filter((e) => e.ph === 'i' && e.name === 'cache miss');
    t.is(misses.length, events.filter((e) => e.type === 'cache-miss').length);
    for (const miss of misses) t.true(Array.isArray(miss.args.reasons));
  });
}

test('steps carry how they ended, their layer size and what the cache saved', (t) => {
  const cold = parse(recordedBuilds['go-cold']).filter((e) => e.ph === 'X');
  const server = cold.find((e) => e.args.id === '2.2');
  t.deepEqual(server && { ts: server.ts, dur: server.dur, args: server.args }, {
    ts: 3_607_000,
    dur: 5_093_000,
    args: { id: '2.2', status: 'run', seconds: 5.093, layerSize: 12_582_912, line: 12 },
  });
  const edit = parse(recordedBuilds['go-client-edit']).filter((e) => e.ph === 'X');
  t.is(edit.find((e) => e.args.id === '2.2')?.args.savedSeconds, 5.093);
  t.is(edit.filter((e) => e.args.status === 'cached').length, 6);
  const failed = parse(recordedBuilds['go-failed']);
  t.deepEqual(
    failed
      .filter((e) => e.ph === 'X' && e.args.status !== 'run' && e.args.status !== 'cached')
      .map((e) => [e.args.id, e.args.status]),
    [
      ['1.2', 'cancelled'],
      ['2.2', 'failed'],
    ],
  );
  t.true(failed.some((e) => e.ph === 'i' && e.name === 'build failed'));
  t.true(
    failed.some((e) => e.ph === 'i' && e.name === 'warning' && e.ts === 0),
    'the warning before the start is time 0, not negative',
  );
});

test("the cache-miss instants carry their reasons on the step's track", (t) => {
  const trace = parse(recordedBuilds['go-client-edit']);
  const miss = trace.find((e) => e.ph === 'i' && e.args.stepId === '1.1');
  t.deepEqual(miss?.args.reasons, ['file cmd/client/main.go changed']);
  t.is(miss?.tid, trace.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args.name === 'build-client')?.tid);
  t.is(miss?.s, 't');
});

test('traceFromEvents returns the object traceJson serialises', (t) => {
  const object = traceFromEvents(recordedBuilds['go-cold']);
  t.is(object.displayTimeUnit, 'ms');
  t.is(object.otherData.imageId, 'sha256:5f2ce0d7a1b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9');
  t.deepEqual(JSON.parse(traceJson(recordedBuilds['go-cold'])), JSON.parse(JSON.stringify(object)));
});
