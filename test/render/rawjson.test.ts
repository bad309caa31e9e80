// Unit: --progress=rawjson writes BuildKit's client.SolveStatus lines (moby/buildkit client/graph.go):
// vertexes with digest, inputs, name, started/completed, cached and error; logs with base64 data and
// stream 1/2; warnings; strings escaped as Go's encoder escapes them.
import test from 'ava';
import { goJson, RawJsonRenderer } from '../../cli/render/rawjson.js';
import type { StepRef } from '../../engine/events.js';

const step = (id: string, index: number, name: string): StepRef => ({
  id,
  stage: 'build',
  stageIndex: 0,
  index,
  total: 2,
  name,
  line: index,
});

test('a build as SolveStatus lines', (t) => {
  const lines: string[] = [];
  const renderer = new RawJsonRenderer((text) => lines.push(text));
  renderer.handle({ type: 'step-cached', time: 1000, step: step('0.1', 1, 'FROM busybox'), savedSeconds: 0 });
  renderer.handle({ type: 'step-start', time: 2000, step: step('0.2', 2, 'RUN echo <hi> & bye') });
  renderer.handle({ type: 'step-log', time: 2500, stepId: '0.2', stream: 'stderr', text: 'hi\n' });
  renderer.handle({ type: 'step-error', time: 3000, stepId: '0.2', message: 'exit code 1', cancelled: false });
  renderer.handle({ type: 'warning', time: 3000, message: 'careful' });
  t.true(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n')));
  const [cached, started, log, failed, warning] = lines.map(
    (line) => JSON.parse(line) as Record<string, Array<Record<string, unknown>>>,
  );
  t.like(cached.vertexes[0], {
    name: '[build 1/2] FROM busybox',
    started: '1970-01-01T00:00:01.000Z',
    completed: '1970-01-01T00:00:01.000Z',
    cached: true,
  });
  t.regex(String(cached.vertexes[0].digest), /^sha256:[0-9a-f]{64}$/);
  t.deepEqual(started.vertexes[0].inputs, [cached.vertexes[0].digest]);
  t.like(log.logs[0], { vertex: started.vertexes[0].digest, stream: 2, data: Buffer.from('hi\n').toString('base64') });
  t.like(failed.vertexes[0], { error: 'exit code 1', completed: '1970-01-01T00:00:03.000Z' });
  t.is(Buffer.from(String(warning.warnings[0].short), 'base64').toString(), 'careful');
  t.true(lines[1].includes('\\u003chi\\u003e \\u0026 bye'), 'Go escapes <, > and &');
  t.is(goJson({ a: '\u2028' }), '{"a":"\\u2028"}');
});
