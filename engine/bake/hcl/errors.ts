// The error of HCL bake files: the message, where it is (`file:line:column`), and the line with a
// caret under the place, as msbuild prints Dockerfile errors.
import { BakeError } from '../errors.js';
import type { Position } from './ast.js';

export class HclError extends BakeError {
  constructor(
    message: string,
    readonly at: Position,
    source?: string,
  ) {
    const line = source?.split(/\r?\n/)[at.line - 1];
    super(
      `${at.file}:${at.line}:${at.column}: ${message}`,
      line === undefined ? undefined : ` ${line.replace(/\t/g, ' ')}\n ${' '.repeat(Math.max(0, at.column - 1))}^`,
    );
  }
}
