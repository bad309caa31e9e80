// The plain view against golden text of recorded builds, and its line-by-line handling of output.
// UPDATE_GOLDEN=1 rewrites the golden files (read the diff before keeping it).
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { PlainRenderer } from '../../cli/render/plain.js';
import type { BuildEvent } from '../../engine/events.js';
import { recordedBuilds, steps, T0 } from './_recorded-builds.js';

const goldenDir = new URL('../../../test/render/golden/', import.meta.url);

function renderPlain(events: BuildEvent[]): { text: string; writes: number } {
  let text = '';
  let writes = 0;
  const renderer = new PlainRenderer({
    write: (chunk) => {
      text += chunk;
      writes++;
    },
  });
  for (const event of events) renderer.handle(event);
  return { text, writes };
}

for (const [name, events] of Object.entries(recordedBuilds)) {
  test(`plain output of the ${name} build matches its golden file`, (t) => {
    const { text } = renderPlain(events);
    const golden = new URL(`${name}.plain.txt`, goldenDir);
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
    t.is(text, readFileSync(golden, 'utf8'));
  });
}

test('every event is written at once, so parallel steps interleave by whole lines', (t) => {
  const events = recordedBuilds['go-cold'];
  const { text, writes } = renderPlain(events);
  t.true(writes <= events.length);
  for (const chunk of text.split('\n').slice(0, -1))
    t.regex(chunk, /^(#\d+ |WARNING: |built |steps: |worker: |size: |critical path: |$)/);
});

test('stdout and stderr of one step never splice into one line; \\r-redrawn lines keep their last state', (t) => {
  const step = steps.prodApk;
  const log = (ms: number, stream: 'stdout' | 'stderr', text: string): BuildEvent => ({
    type: 'step-log',
    time: T0 + ms,
    stepId: step.id,
    stream,
    text,
  });
  const { text } = renderPlain([
    { type: 'step-start', time: T0, step },
    log(100, 'stdout', 'downloading '),
    log(200, 'stderr', 'warning: slow mirror\n'),
    log(300, 'stdout', '10%\r50%\r100%\n'),
    log(400, 'stdout', 'unterminated'),
    { type: 'step-done', time: T0 + 500, stepId: step.id, seconds: 0.5, layerSize: 0 },
  ]);
  t.is(
    text,
    [
      '#1 [prod 2/4] RUN apk add --no-cache ca-certificates',
      '#1 0.200 warning: slow mirror',
      '#1 0.300 100%',
      '#1 0.400 unterminated',
      '#1 DONE 0.5s',
      '',
    ].join('\n'),
  );
});
