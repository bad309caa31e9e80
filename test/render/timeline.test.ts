// The timeline picture: well-formed XML, one bar per started step, the critical path marked, names
// escaped, and a title naming the image and the build's time.
import test from 'ava';
import { tickStep, timelineHtml, timelineSvg, xmlEscape } from '../../cli/render/timeline.js';
import type { BuildEvent } from '../../engine/events.js';
import { recordedBuilds, steps, T0 } from './_recorded-builds.js';

/**
 * A small well-formedness check: tags balance and nest, attributes are quoted, `&` starts an
 * entity, and no `<` or `>` stands in text. Enough to catch what a renderer gets wrong.
 */
function xmlProblems(text: string): string[] {
  const problems: string[] = [];
  const open: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt === -1 ? text.length : lt);
    if (chunk.includes('>')) problems.push(`'>' in text near ${JSON.stringify(chunk.slice(0, 40))}`);
    for (const amp of chunk.matchAll(/&/g)) {
      if (!/^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/.test(chunk.slice(amp.index)))
        problems.push(`bare '&' near ${JSON.stringify(chunk.slice(amp.index, amp.index + 20))}`);
    }
    if (lt === -1) break;
    tag.lastIndex = lt;
    const match = tag.exec(text);
    if (!match) {
      problems.push(`malformed tag at ${lt}: ${JSON.stringify(text.slice(lt, lt + 60))}`);
      i = lt + 1;
      continue;
    }
    const [, closing, name = '', attributes = '', selfClosing] = match;
    for (const value of attributes.matchAll(/="([^"]*)"/g)) {
      if (/[<>]|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(value[1] ?? ''))
        problems.push(`unescaped attribute value ${JSON.stringify(value[1])}`);
    }
    if (closing) {
      const expected = open.pop();
      if (expected !== name) problems.push(`</${name}> closes <${expected ?? 'nothing'}>`);
    } else if (!selfClosing) {
      open.push(name);
    }
    i = tag.lastIndex;
  }
  if (open.length > 0) problems.push(`unclosed: ${open.join(', ')}`);
  return problems;
}

const bars = (svg: string) =>
  [...svg.matchAll(/<rect class="step ([^"]*)" data-step="([^"]*)"/g)].map((m) => ({
    classes: (m[1] ?? '').split(' '),
    step: m[2] ?? '',
  }));

function startedSteps(events: BuildEvent[]): string[] {
  const ids = new Set<string>();
  for (const event of events) if (event.type === 'step-start' || event.type === 'step-cached') ids.add(event.step.id);
  return [...ids];
}

test('the checker itself rejects what it should', (t) => {
  t.deepEqual(xmlProblems('<svg><g><rect x="1"/></g></svg>'), []);
  t.not(xmlProblems('<svg><g></svg>').length, 0);
  t.not(xmlProblems('<svg><text>a & b</text></svg>').length, 0);
  t.not(xmlProblems('<svg><text>a < b</text></svg>').length, 0);
  t.not(xmlProblems('<svg><rect x=1/></svg>').length, 0);
  t.not(xmlProblems('<svg><rect x="a<b"/></svg>').length, 0);
});

for (const [name, events] of Object.entries(recordedBuilds)) {
  test(`the ${name} timeline is well-formed with one bar per started step`, (t) => {
    const svg = timelineSvg(events);
    t.deepEqual(xmlProblems(svg), []);
    t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    t.deepEqual(
      bars(svg)
        .map((bar) => bar.step)
        .sort(),
      startedSteps(events).sort(),
    );
    t.is((svg.match(/<text class="stage"/g) ?? []).length, 4, 'one row label per stage');
    t.is((svg.match(/<title>/g) ?? []).length, bars(svg).length + 4, 'a tooltip per bar and per stage label');
  });
}

test('bars are coloured by how their step ended, and the critical path is outlined', (t) => {
  const cold = bars(timelineSvg(recordedBuilds['go-cold']));
  t.true(cold.every((bar) => bar.classes.includes('run')));
  t.deepEqual(
    cold.filter((bar) => bar.classes.includes('critical')).map((bar) => bar.step),
    ['0.1', '0.2', '0.3', '0.4', '2.1', '2.2', '3.4'],
  );
  const edit = bars(timelineSvg(recordedBuilds['go-client-edit']));
  t.is(edit.filter((bar) => bar.classes.includes('cached')).length, 6);
  const failed = bars(timelineSvg(recordedBuilds['go-failed']));
  t.deepEqual(
    failed.filter((bar) => bar.classes.includes('failed')).map((bar) => bar.step),
    ['2.2'],
  );
  t.deepEqual(
    failed.filter((bar) => bar.classes.includes('cancelled')).map((bar) => bar.step),
    ['1.2'],
  );
  t.false(
    failed.some((bar) => bar.classes.includes('critical')),
    'a failed build has no critical path',
  );
});

test('tooltips name the step and its duration; the title names the image and the time', (t) => {
  const svg = timelineSvg(recordedBuilds['go-cold']);
  t.true(
    svg.includes(
      '<title>[build-server 2/2] RUN go build -v -o /out/server ./cmd/server (2.2): ran, 5.1s, on the critical path</title>',
    ),
  );
  t.true(svg.includes('>msbuild: example/app:latest built in 8.8s</text>'));
  t.true(timelineSvg(recordedBuilds['go-failed']).includes('>msbuild: target prod failed after 1.5s</text>'));
  t.true(
    timelineSvg(recordedBuilds['go-client-edit']).includes(
      '<title>[base 4/4] RUN go mod download (0.4): cached, 0.0s, saved 2.4s, on the critical path</title>',
    ),
  );
});

test('the axis has ticks in seconds across the build', (t) => {
  const svg = timelineSvg(recordedBuilds['go-cold']);
  const ticks = [...svg.matchAll(/text-anchor="middle" fill="#4b5563">([^<]*)</g)].map((m) => m[1]);
  t.deepEqual(ticks, ['0s', '2s', '4s', '6s', '8s']);
  t.is(tickStep(8.85), 2);
  t.is(tickStep(1.53), 0.2);
  t.is(tickStep(0), 0.0002);
});

test('step names with XML metacharacters are escaped', (t) => {
  const step = { ...steps.prodApk, name: `RUN echo "<b>&amp;</b>" > 'out' && printf '\u0001'`, stage: 'a<b>&"c"' };
  const events: BuildEvent[] = [
    { type: 'step-start', time: T0, step },
    { type: 'step-done', time: T0 + 2_000, stepId: step.id, seconds: 2, layerSize: 1 },
  ];
  const svg = timelineSvg(events);
  t.deepEqual(xmlProblems(svg), []);
  t.true(
    svg.includes(
      'RUN echo &quot;&lt;b&gt;&amp;amp;&lt;/b&gt;&quot; &gt; &apos;out&apos; &amp;&amp; printf &apos;&apos;',
    ),
  );
  t.is(xmlEscape('a\u0000b\uD800c😀'), 'abc😀');
});

test('the HTML page wraps the same picture', (t) => {
  const html = timelineHtml(recordedBuilds['go-cold']);
  t.true(html.startsWith('<!DOCTYPE html>'));
  t.true(html.includes('<title>msbuild: example/app:latest built in 8.8s</title>'));
  t.true(html.includes(timelineSvg(recordedBuilds['go-cold']).trimEnd()));
  t.deepEqual(
    xmlProblems(html.replace('<!DOCTYPE html>\n', '').replace('<meta charset="utf-8">', '<meta charset="utf-8"/>')),
    [],
  );
});
