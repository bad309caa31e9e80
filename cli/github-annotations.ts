// In GitHub Actions (GITHUB_ACTIONS=true), errors are also written as workflow commands
// (`::error file=Dockerfile,line=3,col=1::message`) so the run's summary and the pull request show
// them on the Dockerfile's line. Written to stderr: stdout may carry the image ID or an output tar.
import { BuildError } from '../engine/build-error.js';
import { DockerfileSyntaxError } from '../engine/dockerfile/errors.js';

/** Escapes of the workflow command format (actions/toolkit's command.ts). */
const escapeData = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string) => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

export interface AnnotationLocation {
  file: string;
  line?: number;
  col?: number;
}

/** `::error file=…,line=…::message` (or `warning`). */
export function annotation(kind: 'error' | 'warning', message: string, at?: AnnotationLocation): string {
  const properties = at
    ? [
        `file=${escapeProperty(at.file)}`,
        ...(at.line !== undefined ? [`line=${at.line}`] : []),
        ...(at.col !== undefined ? [`col=${at.col}`] : []),
      ].join(',')
    : '';
  return `::${kind}${properties ? ` ${properties}` : ''}::${escapeData(message)}`;
}

/** Where an error points in a file, when it does. */
function locationOf(error: unknown): AnnotationLocation | undefined {
  if (error instanceof DockerfileSyntaxError)
    return { file: error.file, line: error.position.line, col: error.position.column };
  if (error instanceof BuildError && error.step) return { file: error.step.file, line: error.step.line };
  // Bake files and others say `file:line: message`.
  const match = /^([^\s:]+):(\d+)(?::(\d+))?: /.exec(error instanceof Error ? error.message : '');
  if (match) return { file: match[1], line: Number(match[2]), ...(match[3] ? { col: Number(match[3]) } : {}) };
  return undefined;
}

export function inGitHubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** Writes the error's annotation when running in GitHub Actions. */
export function annotateError(error: unknown, env: NodeJS.ProcessEnv = process.env): void {
  if (!inGitHubActions(env)) return;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${annotation('error', message, locationOf(error))}\n`);
}
