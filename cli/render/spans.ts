// A finished (or interrupted) build read back from its recorded events: when each step ran and how it
// ended, per stage. The trace file and the timeline picture are both drawn from this.
import type { BuildEvent, BuildSummary, CacheMissEvent, StepRef } from '../../engine/events.js';

/** How a step ended; a step still open when the events stop was stopped with the build. */
export type SpanStatus = 'run' | 'cached' | 'failed' | 'cancelled';

export interface StepSpan {
  step: StepRef;
  start: number;
  end: number;
  status: SpanStatus;
  layerSize: number;
  /** For a cached step: what it took when it last ran. */
  savedSeconds?: number;
  shared?: boolean;
  /** For a failed or cancelled step. */
  message?: string;
}

export interface StageRow {
  name: string;
  index: number;
}

export interface BuildRecord {
  start: number;
  end: number;
  target: string;
  stages: StageRow[];
  /** In the order the steps started. */
  spans: StepSpan[];
  cacheMisses: CacheMissEvent[];
  warnings: Array<{ time: number; message: string }>;
  summary?: BuildSummary;
  error?: { time: number; message: string };
}

/** The stage index a step ID names (`2.1` → 2), for events that carry only the ID. */
export function stageIndexOf(stepId: string): number {
  const index = Number.parseInt(stepId.split('.')[0] ?? '', 10);
  return Number.isNaN(index) ? 0 : index;
}

export function recordBuild(events: BuildEvent[]): BuildRecord {
  const first = events[0]?.time ?? 0;
  const record: BuildRecord = {
    start: first,
    end: first,
    target: '',
    stages: [],
    spans: [],
    cacheMisses: [],
    warnings: [],
  };
  const open = new Map<string, StepSpan>();
  const stages = new Map<number, StageRow>();
  const spanFor = (step: StepRef, time: number): StepSpan => {
    let span = open.get(step.id);
    if (!span) {
      span = { step, start: time, end: time, status: 'cancelled', layerSize: 0 };
      open.set(step.id, span);
      record.spans.push(span);
      if (!stages.has(step.stageIndex)) stages.set(step.stageIndex, { name: step.stage, index: step.stageIndex });
    }
    return span;
  };
  const ended = new Set<string>();
  const close = (span: StepSpan, status: SpanStatus, time: number) => {
    span.status = status;
    span.end = time;
    ended.add(span.step.id);
  };
  for (const event of events) {
    record.end = Math.max(record.end, event.time);
    switch (event.type) {
      case 'build-start':
        record.start = event.time;
        record.target = event.target;
        for (const stage of event.stages) stages.set(stage.index, { name: stage.name, index: stage.index });
        break;
      case 'step-start':
        spanFor(event.step, event.time);
        break;
      case 'step-cached': {
        const span = spanFor(event.step, event.time);
        span.savedSeconds = event.savedSeconds;
        close(span, 'cached', event.time);
        break;
      }
      case 'step-done': {
        const span = open.get(event.stepId);
        if (!span) break;
        span.layerSize = event.layerSize;
        if (event.shared) span.shared = true;
        close(span, 'run', event.time);
        break;
      }
      case 'step-error': {
        const span = open.get(event.stepId);
        if (!span) break;
        span.message = event.message;
        close(span, event.cancelled ? 'cancelled' : 'failed', event.time);
        break;
      }
      case 'cache-miss':
        record.cacheMisses.push(event);
        break;
      case 'warning':
        record.warnings.push({ time: event.time, message: event.message });
        break;
      case 'build-done':
        record.summary = event.summary;
        break;
      case 'build-error':
        record.error = { time: event.time, message: event.message };
        break;
      case 'step-log':
      case 'stage-done':
      case 'transfer':
        break;
    }
  }
  // Steps the events never closed ran until the build stopped.
  for (const span of record.spans) if (!ended.has(span.step.id)) span.end = record.end;
  record.stages = [...stages.values()].sort((a, b) => a.index - b.index);
  return record;
}
