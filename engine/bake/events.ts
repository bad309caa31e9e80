// The events of several bake targets as one stream for one progress view: each target's name goes
// in front of its stage names and step IDs (steps of different targets share IDs like `1.2`).
import type { BuildEvent } from '../events.js';

export function scopeEvent(target: string, event: BuildEvent): BuildEvent {
  const id = (stepId: string) => `${target}:${stepId}`;
  const stage = (name: string) => `${target} ${name}`;
  switch (event.type) {
    case 'step-start':
    case 'step-cached':
      return { ...event, step: { ...event.step, id: id(event.step.id), stage: stage(event.step.stage) } };
    case 'step-log':
    case 'step-done':
    case 'step-error':
    case 'cache-miss':
      return { ...event, stepId: id(event.stepId) };
    case 'stage-done':
      return { ...event, stage: stage(event.stage) };
    case 'build-start':
      return { ...event, target: `${target} (${event.target})` };
    case 'build-done':
      // The critical path names steps: scoped like the step events a view recorded them from.
      return { ...event, summary: { ...event.summary, criticalPath: event.summary.criticalPath.map(id) } };
    case 'build-error':
      return event.stepId !== undefined ? { ...event, stepId: id(event.stepId) } : event;
    case 'warning':
      return { ...event, message: `${target}: ${event.message}` };
    case 'check-warning':
      return { ...event, file: `${target}: ${event.file}` };
    case 'transfer':
      return event;
  }
}
