// The live TTY view driven by a fake clock, ticker and frame sink: timers, output tails, collapsing,
// narrow and short terminals, the final static lines, and timers stopped at the end.
import test from 'ava';
import { PassThrough } from 'node:stream';
import { createRenderer } from '../../cli/render/select.js';
import { displayText, fitLine, textWidth, truncate, TtyRenderer } from '../../cli/render/tty.js';
import type { BuildEvent } from '../../engine/events.js';
import { recordedBuilds, steps, T0 } from './_recorded-builds.js';

interface Harness {
  renderer: TtyRenderer;
  frames: string[][];
  final: () => string[] | undefined;
  /** Feeds the events up to `ms` after T0, sets the clock there and lets the ticker fire. */
  advanceTo(ms: number): string[];
  ticking: () => boolean;
  size: { columns?: number; rows?: number };
}

function harness(events: BuildEvent[], options: { columns?: number; rows?: number; color?: boolean } = {}): Harness {
  let clock = T0;
  let tick: (() => void) | undefined;
  let final: string[] | undefined;
  const frames: string[][] = [];
  const size = { columns: options.columns ?? 100, rows: options.rows ?? 40 };
  const renderer = new TtyRenderer({
    output: { frame: (lines) => frames.push(lines), finish: (lines) => (final = lines), size: () => size },
    now: () => clock,
    every: (callback) => {
      tick = callback;
      return { stop: () => (tick = undefined) };
    },
    color: options.color ?? false,
  });
  let next = 0;
  return {
    renderer,
    frames,
    final: () => final,
    size,
    ticking: () => tick !== undefined,
    advanceTo(ms) {
      clock = T0 + ms;
      while (next < events.length && (events[next] as BuildEvent).time <= clock)
        renderer.handle(events[next++] as BuildEvent);
      tick?.();
      return frames.at(-1) ?? [];
    },
  };
}

const visible = (line: string) => line.replace(/\u001B\[[0-9;]*m/g, '');
const lineOf = (frame: string[], text: string) => frame.find((line) => line.includes(text));

test('a running step shows a live timer and its last output lines; finished steps are one line', (t) => {
  const h = harness(recordedBuilds['go-cold']);
  const frame = h.advanceTo(2_400);
  t.is(frame[0], '[+] Building 2.4s (5/6)');
  const running = lineOf(frame, '[base 4/4] RUN go mod download') ?? '';
  t.regex(running, /^=> \[base 4\/4\] RUN go mod download +1\.4s$/);
  t.is(running.length, 100);
  const at = frame.indexOf(running);
  t.deepEqual(frame.slice(at + 1, at + 3), [
    '=> => # go: downloading github.com/gorilla/mux v1.8.1',
    '=> => # go: downloading golang.org/x/sync v0.7.0',
  ]);
  t.regex(lineOf(frame, '[base 1/4] FROM') ?? '', /DONE 0\.6s$/);
  t.regex(lineOf(frame, '[prod 2/4] RUN apk add') ?? '', /DONE 1\.3s$/);
  t.falsy(lineOf(frame, 'APKINDEX'), 'a finished step keeps no output in the frame');

  const later = h.advanceTo(3_400);
  t.regex(lineOf(later, '[base 4/4]') ?? '', / 2\.4s$/);
  t.is(later[0], '[+] Building 3.4s (5/6)');
});

test('at most five output lines per running step, the newest ones', (t) => {
  const step = steps.prodApk;
  const output = Array.from({ length: 8 }, (_, i) => `line ${i + 1}`).join('\n');
  const h = harness([
    { type: 'step-start', time: T0, step },
    { type: 'step-log', time: T0 + 10, stepId: step.id, stream: 'stdout', text: `${output}\npartial` },
  ]);
  const frame = h.advanceTo(100);
  t.deepEqual(frame.slice(2), [
    '=> => # line 5',
    '=> => # line 6',
    '=> => # line 7',
    '=> => # line 8',
    '=> => # partial',
  ]);
});

test('parallel steps each show their own timer and tail', (t) => {
  const frame = harness(recordedBuilds['go-cold']).advanceTo(5_300);
  t.regex(lineOf(frame, '[build-client 2/2]') ?? '', / 1\.7s$/);
  t.regex(lineOf(frame, '[build-server 2/2]') ?? '', / 1\.7s$/);
  const client = frame.findIndex((line) => line.includes('[build-client 2/2]'));
  const server = frame.findIndex((line) => line.includes('[build-server 2/2]'));
  t.deepEqual(frame.slice(client + 1, server), [
    '=> => # example.com/app/internal/proto',
    '=> => # example.com/app/cmd/client',
  ]);
  t.deepEqual(frame.slice(server + 1), ['=> => # github.com/gorilla/mux', '=> => # example.com/app/internal/proto']);
});

test('a cached rebuild collapses cached steps to CACHED', (t) => {
  const frame = harness(recordedBuilds['go-client-edit']).advanceTo(1_500);
  t.regex(lineOf(frame, '[base 4/4] RUN go mod download') ?? '', /CACHED$/);
  t.regex(lineOf(frame, '[build-server 2/2]') ?? '', /CACHED$/);
  t.regex(lineOf(frame, '[build-client 2/2]') ?? '', / 1\.2s$/);
});

test('the end replaces the frame with every step collapsed and the summary; the ticker stops', (t) => {
  const h = harness(recordedBuilds['go-cold']);
  h.advanceTo(4_000);
  t.true(h.ticking());
  const framesBefore = h.frames.length;
  h.advanceTo(9_000);
  const final = h.final() ?? [];
  t.false(h.ticking());
  t.is(h.frames.length, framesBefore, 'no frame is drawn after the build ends');
  t.is(final[0], '[+] Building 8.8s (12/12) FINISHED');
  t.is(final.filter((line) => line.startsWith('=> [')).length, 12);
  t.true(final.filter((line) => line.startsWith('=> [')).every((line) => /DONE \d+\.\ds$/.test(line)));
  t.false(final.some((line) => line.startsWith('=> => #')));
  t.true(
    final.includes(
      'built sha256:5f2ce0d7a1b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9 tagged example/app:latest in 8.8s',
    ),
  );
  t.true(
    final.includes(
      'critical path: [base 1/4] FROM docker.io/library/golang:1.22-alpine 0.6s → [base 3/4] COPY go.mod go.sum ./ 0.3s → [base 4/4] RUN go mod download 2.4s → [build-server 2/2] RUN go build -v -o /out/server ./cmd/server 5.1s (+3 quick steps)',
    ),
  );
  h.renderer.handle({ type: 'warning', time: T0 + 9_500, message: 'late' });
  h.renderer.close();
  t.is(h.final(), final);
});

test('a failure shows the failed step with its last lines, the cancelled step, and the warning', (t) => {
  const h = harness(recordedBuilds['go-failed']);
  const live = h.advanceTo(1_490);
  const failed = live.findIndex((line) => line.includes('[build-server 2/2]'));
  t.regex(live[failed] ?? '', /ERROR 1\.2s$/);
  t.deepEqual(live.slice(failed + 1, failed + 4), [
    '=> => # example.com/app/internal/api',
    '=> => # # example.com/app/cmd/server',
    '=> => # cmd/server/main.go:14:2: undefined: api.NewRouter',
  ]);
  t.is(live.at(-1), 'WARNING: build arg VERSION was given but no stage declares it (ARG VERSION)');

  h.advanceTo(2_000);
  const final = h.final() ?? [];
  t.false(h.ticking());
  t.is(final[0], '[+] Building 1.5s (10/10) FAILED', "prod's COPY steps never started");
  t.regex(lineOf(final, '[build-client 2/2]') ?? '', /CANCELED 1\.2s$/);
  const block = final.indexOf('------');
  t.deepEqual(final.slice(block, block + 6), [
    '------',
    ' > [build-server 2/2] RUN go build -v -o /out/server ./cmd/server:',
    ' example.com/app/internal/api',
    ' # example.com/app/cmd/server',
    ' cmd/server/main.go:14:2: undefined: api.NewRouter',
    '------',
  ]);
  t.is(final.at(-1), 'WARNING: build arg VERSION was given but no stage declares it (ARG VERSION)');
});

for (const columns of [60, 30, 12, 5, 1]) {
  test(`a ${columns}-column terminal gets lines no wider than it`, (t) => {
    const h = harness(recordedBuilds['go-cold'], { columns });
    const frame = h.advanceTo(5_300);
    t.true(frame.length > 5);
    for (const line of frame) t.true(textWidth(line) <= columns, `${JSON.stringify(line)} is wider than ${columns}`);
    if (columns >= 30) t.regex(lineOf(frame, '[build-server 2/2') ?? '', /… 1\.7s$/, 'the timer survives truncation');
    h.advanceTo(9_000);
    for (const line of (h.final() ?? []).filter((l) => l.startsWith('=>') || l.startsWith('[+]')))
      t.true(textWidth(line) <= columns);
  });
}

test('colours do not count toward the width', (t) => {
  const h = harness(recordedBuilds['go-cold'], { columns: 40, color: true });
  const frame = h.advanceTo(2_400);
  t.true(frame.some((line) => line.includes('\u001B[2m=> => # go: downloading')));
  t.true(frame.some((line) => line.startsWith('\u001B[34m=> [base 1/4]')));
  for (const line of frame) t.true(textWidth(visible(line)) <= 40);
});

test('a short terminal drops the oldest finished steps, then output lines, keeping the header', (t) => {
  const roomy = harness(recordedBuilds['go-cold'], { rows: 40 }).advanceTo(5_300);
  t.is(roomy.length, 15);
  const short = harness(recordedBuilds['go-cold'], { rows: 12 }).advanceTo(5_300);
  t.deepEqual(short, [roomy[0], ...roomy.slice(5)], 'the four oldest finished steps make room');
  const tiny = harness(recordedBuilds['go-cold'], { rows: 6 }).advanceTo(5_300);
  t.deepEqual(
    tiny.map((line) => line.replace(/ {2,}/g, ' ')),
    [
      '[+] Building 5.3s (8/10)',
      '=> [build-client 2/2] RUN go build -v -o /out/client ./cmd/client 1.7s',
      '=> => # example.com/app/cmd/client',
      '=> [build-server 2/2] RUN go build -v -o /out/server ./cmd/server 1.7s',
      '=> => # example.com/app/internal/proto',
    ],
  );
  const one = harness(recordedBuilds['go-cold'], { rows: 2 }).advanceTo(5_300);
  t.deepEqual(one, ['[+] Building 5.3s (8/10)']);
});

test('an unknown terminal size falls back to 80 columns', (t) => {
  const h = harness(recordedBuilds['go-cold']);
  h.size.columns = undefined;
  h.size.rows = undefined;
  const frame = h.advanceTo(2_400);
  t.is(lineOf(frame, '[base 4/4]')?.length, 80);
});

test('close() before the build ends stops the ticker and leaves the steps drawn', (t) => {
  const h = harness(recordedBuilds['go-cold']);
  h.advanceTo(2_400);
  h.renderer.close();
  t.false(h.ticking());
  const final = h.final() ?? [];
  t.is(final[0], '[+] Building 2.4s (6/6) STOPPED');
  t.regex(lineOf(final, '[base 4/4]') ?? '', /CANCELED 1\.4s$/);
});

test('output lines are shown as a terminal row would show them', (t) => {
  t.is(displayText('10%\r55%\r'), '55%');
  t.is(displayText('\u001B[1;32mok\u001B[0m done'), 'ok done');
  t.is(displayText('\u001B]0;title\u0007text'), 'text');
  t.is(displayText('a\tb'), 'a       b');
  t.is(displayText('RUN <<EOF\necho hi\nEOF'), 'RUN <<EOF echo hi EOF');
  t.is(displayText('bell\u0007 and nul\u0000'), 'bell and nul');
});

test('truncation counts wide characters as two columns and keeps the right side', (t) => {
  t.is(truncate('abcdef', 4), 'abc…');
  t.is(truncate('abcdef', 1), 'a');
  t.is(truncate('abcdef', 0), '');
  t.is(truncate('日本語テキスト', 7), '日本語…');
  t.is(textWidth('日本語'), 6);
  t.is(fitLine('=> step', '1.2s', 14), '=> step   1.2s');
  t.is(fitLine('=> a long step name', '1.2s', 14), '=> a lon… 1.2s');
  t.is(fitLine('=> a long step name', 'CANCELED 1.2s', 10), '=> a long…');
});

test('the log-update output draws on a terminal stream and ends with plain final lines', async (t) => {
  const stream = Object.assign(new PassThrough(), {
    isTTY: true,
    columns: 80,
    rows: 24,
  }) as unknown as NodeJS.WriteStream & PassThrough;
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
  const renderer = await createRenderer('tty', stream, { TERM: 'xterm-256color', NO_COLOR: '1' });
  for (const event of recordedBuilds['go-client-edit']) renderer.handle(event);
  renderer.close();
  t.true(written.includes('[+] Building'));
  const tail = written.slice(written.lastIndexOf('[+] Building'));
  t.true(tail.startsWith('[+] Building 2.1s (12/12) FINISHED\n'));
  t.true(
    tail.endsWith(
      'critical path: [build-client 2/2] RUN go build -v -o /out/client ./cmd/client 1.7s (+7 quick steps)\n',
    ),
  );
  t.false(tail.includes('\u001B[3'), 'NO_COLOR turns colours off');
});
