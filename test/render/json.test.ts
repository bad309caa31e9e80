// The JSON Lines view: one parseable line per event, equal to the event, versioned on build-start;
// golden files hold the recorded builds' streams (UPDATE_GOLDEN=1 rewrites them: read the diff first).
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { jsonLine, JsonRenderer, progressJsonVersion } from '../../cli/render/json.js';
import type { BuildEvent } from '../../engine/events.js';
import { recordedBuilds, steps, T0 } from './_recorded-builds.js';

const goldenDir = new URL('../../../test/render/golden/', import.meta.url);

function renderJson(events: BuildEvent[]): string[] {
  const writes: string[] = [];
  const renderer = new JsonRenderer({ write: (text) => writes.push(text) });
  for (const event of events) renderer.handle(event);
  return writes;
}

for (const [name, events] of Object.entries(recordedBuilds)) {
  test(`every event of the ${name} build round-trips through one line`, (t) => {
    const writes = renderJson(events);
    t.is(writes.length, events.length);
    writes.forEach((line, i) => {
      t.true(line.endsWith('\n'));
      t.false(line.slice(0, -1).includes('\n'));
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const event = events[i] as BuildEvent;
      if (event.type === 'build-start') {
        const { version, ...rest } = parsed;
        t.is(version, progressJsonVersion);
        t.deepEqual(rest, { ...event });
      } else {
        t.deepEqual(parsed, { ...event });
      }
    });
  });
}

test('the version comes right after the type on build-start, and only there', (t) => {
  const lines = recordedBuilds['go-cold'].map(jsonLine);
  t.true(lines[0]?.startsWith('{"type":"build-start","version":1,'));
  t.is(lines.filter((line) => line.includes('"version"')).length, 1);
});

test('log text with newlines, quotes, control characters and astral characters stays on one line', (t) => {
  const event: BuildEvent = {
    type: 'step-log',
    time: T0,
    stepId: steps.prodApk.id,
    stream: 'stderr',
    text: 'a\nb\r"c"\u0000\u2028🐳\n',
  };
  const [line] = renderJson([event]);
  t.is(line?.split('\n').length, 2);
  t.deepEqual(JSON.parse(line ?? ''), event);
});

for (const [name, events] of Object.entries(recordedBuilds)) {
  test(`JSON output of the ${name} build matches its golden file`, (t) => {
    const text = renderJson(events).join('');
    const golden = new URL(`${name}.jsonl`, goldenDir);
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
    t.is(text, readFileSync(golden, 'utf8'));
  });
}
