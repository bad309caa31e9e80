// `--progress=rawjson`: BuildKit's own machine format, one client.SolveStatus per line (moby/buildkit
// client/graph.go): `vertexes` with digest, inputs, name, started, completed, cached and error; `logs`
// with the vertex, the stream (1 stdout, 2 stderr) and base64 data; `warnings` with base64 `short`.
// Tools written for `docker buildx build --progress=rawjson` read msbuild's builds with it. Times are
// RFC 3339 and strings are escaped as Go's json.Encoder escapes them.
import { createHash } from 'node:crypto';
import type { BuildEvent, StepRef } from '../../engine/events.js';
import { stepLabel } from './plain.js';

interface Vertex {
  digest: string;
  inputs?: string[];
  name: string;
  started?: string;
  completed?: string;
  cached?: boolean;
  error?: string;
}

interface SolveStatus {
  vertexes?: Vertex[];
  logs?: Array<{ vertex: string; stream?: number; data: string; timestamp: string }>;
  warnings?: Array<{ vertex?: string; level?: number; short: string }>;
}

/** A vertex digest for a step: the same step of the same Dockerfile has the same one, as LLB's do. */
export function vertexDigest(id: string, name: string): string {
  return `sha256:${createHash('sha256').update(`msbuild-step\0${id}\0${name}`).digest('hex')}`;
}

const rfc3339 = (time: number) => new Date(time).toISOString();

/** JSON as Go's json.Encoder writes it: <, > and & escaped, U+2028/2029 too. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export class RawJsonRenderer {
  private readonly vertexes = new Map<string, Vertex>();
  /** The last step seen of each stage: a step's input. */
  private readonly lastOfStage = new Map<string, string>();

  constructor(private readonly write: (text: string) => void) {}

  private emit(status: SolveStatus): void {
    this.write(`${goJson(status)}\n`);
  }

  private start(step: StepRef, time: number): Vertex {
    const digest = vertexDigest(step.id, step.name);
    const previous = this.lastOfStage.get(step.stage);
    const vertex: Vertex = {
      digest,
      ...(previous !== undefined ? { inputs: [previous] } : {}),
      name: stepLabel(step),
      started: rfc3339(time),
    };
    this.lastOfStage.set(step.stage, digest);
    this.vertexes.set(step.id, vertex);
    return vertex;
  }

  handle(event: BuildEvent): void {
    switch (event.type) {
      case 'step-start':
        this.emit({ vertexes: [this.start(event.step, event.time)] });
        return;
      case 'step-cached': {
        const vertex = { ...this.start(event.step, event.time), completed: rfc3339(event.time), cached: true };
        this.vertexes.set(event.step.id, vertex);
        this.emit({ vertexes: [vertex] });
        return;
      }
      case 'step-log': {
        const vertex = this.vertexes.get(event.stepId);
        if (!vertex) return;
        this.emit({
          logs: [
            {
              vertex: vertex.digest,
              stream: event.stream === 'stdout' ? 1 : 2,
              data: Buffer.from(event.text, 'utf8').toString('base64'),
              timestamp: rfc3339(event.time),
            },
          ],
        });
        return;
      }
      case 'step-done':
      case 'step-error': {
        const vertex = this.vertexes.get(event.stepId);
        if (!vertex) return;
        const done: Vertex = { ...vertex, completed: rfc3339(event.time) };
        if (event.type === 'step-error') done.error = event.cancelled ? 'context canceled' : event.message;
        this.vertexes.set(event.stepId, done);
        this.emit({ vertexes: [done] });
        return;
      }
      case 'warning':
        this.emit({ warnings: [{ level: 1, short: Buffer.from(event.message, 'utf8').toString('base64') }] });
        return;
      case 'build-error':
        // A failure of no step (the Dockerfile, a flag): BuildKit reports it on the definition's vertex.
        if (event.stepId === undefined) {
          const time = rfc3339(event.time);
          this.emit({
            vertexes: [
              {
                digest: vertexDigest('definition', 'load build definition'),
                name: '[internal] load build definition from Dockerfile',
                started: time,
                completed: time,
                error: event.location !== undefined ? `${event.location}: ${event.message}` : event.message,
              },
            ],
          });
        }
        return;
      default:
        return;
    }
  }
}
