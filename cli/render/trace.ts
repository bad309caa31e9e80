// The build as a Chrome trace-event file (`--trace build.json`, opens in Perfetto or chrome://tracing):
// one track per stage, a slice per step, instant markers for cache misses, warnings and the failure.
import type { BuildEvent } from '../../engine/events.js';
import { stepLabel } from './plain.js';
import { recordBuild, stageIndexOf } from './spans.js';

type TraceArgs = Record<string, string | number | boolean | string[]>;

/** The trace-event format's fields; times are microseconds from the build's start. */
export type TraceEvent =
  | {
      ph: 'M';
      name: 'process_name' | 'thread_name' | 'thread_sort_index';
      pid: number;
      tid: number;
      ts: 0;
      args: TraceArgs;
    }
  | { ph: 'X'; name: string; cat: string; pid: number; tid: number; ts: number; dur: number; args: TraceArgs }
  | { ph: 'i'; name: string; cat: string; pid: number; tid: number; ts: number; s: 'g' | 'p' | 't'; args: TraceArgs };

export interface TraceFile {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string | number>;
}

const pid = 1;

/** A stage's track; tid 0 is avoided as some viewers treat it as the process's own. */
function tidOf(stageIndex: number): number {
  return stageIndex + 1;
}

export function traceFromEvents(events: BuildEvent[]): TraceFile {
  const record = recordBuild(events);
  // Warnings can come before the build starts (cache import, unused build args): time 0 is the earliest event.
  const origin = Math.min(record.start, events[0]?.time ?? record.start);
  const micros = (time: number) => Math.round((time - origin) * 1000);
  const traceEvents: TraceEvent[] = [
    { ph: 'M', name: 'process_name', pid, tid: 0, ts: 0, args: { name: `msbuild ${record.target}`.trim() } },
  ];
  for (const stage of record.stages) {
    const tid = tidOf(stage.index);
    traceEvents.push(
      { ph: 'M', name: 'thread_name', pid, tid, ts: 0, args: { name: stage.name } },
      { ph: 'M', name: 'thread_sort_index', pid, tid, ts: 0, args: { sort_index: stage.index } },
    );
  }
  for (const span of record.spans) {
    const args: TraceArgs = {
      id: span.step.id,
      status: span.status,
      seconds: (span.end - span.start) / 1000,
      layerSize: span.layerSize,
      line: span.step.line,
    };
    if (span.savedSeconds !== undefined) args.savedSeconds = span.savedSeconds;
    if (span.shared) args.shared = true;
    if (span.message !== undefined) args.message = span.message;
    traceEvents.push({
      ph: 'X',
      name: stepLabel(span.step),
      cat: `step,${span.status}`,
      pid,
      tid: tidOf(span.step.stageIndex),
      ts: micros(span.start),
      dur: Math.max(0, micros(span.end) - micros(span.start)),
      args,
    });
  }
  for (const miss of record.cacheMisses) {
    traceEvents.push({
      ph: 'i',
      name: 'cache miss',
      cat: 'cache',
      pid,
      tid: tidOf(stageIndexOf(miss.stepId)),
      ts: micros(miss.time),
      s: 't',
      args: { stepId: miss.stepId, reasons: miss.reasons },
    });
  }
  // Build-wide markers sit on the first stage's track (a track of their own would be an unnamed thread).
  const firstTid = tidOf(record.stages[0]?.index ?? 0);
  for (const warning of record.warnings) {
    traceEvents.push({
      ph: 'i',
      name: 'warning',
      cat: 'build',
      pid,
      tid: firstTid,
      ts: micros(warning.time),
      s: 'g',
      args: { message: warning.message },
    });
  }
  if (record.error) {
    traceEvents.push({
      ph: 'i',
      name: 'build failed',
      cat: 'build',
      pid,
      tid: firstTid,
      ts: micros(record.error.time),
      s: 'g',
      args: { message: record.error.message },
    });
  }
  const otherData: Record<string, string | number> = {
    target: record.target,
    startTime: new Date(origin).toISOString(),
    seconds: (record.end - record.start) / 1000,
  };
  if (record.summary) {
    otherData.imageId = record.summary.imageId;
    otherData.tags = record.summary.tags.join(',');
    otherData.criticalPath = record.summary.criticalPath.join(',');
  }
  return { traceEvents, displayTimeUnit: 'ms', otherData };
}

/** The trace file's text. */
export function traceJson(events: BuildEvent[]): string {
  return `${JSON.stringify(traceFromEvents(events))}\n`;
}
